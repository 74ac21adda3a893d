-- Each flag of a published version, and each flag of the month decided earlier that the version no
-- longer raises, with the decision that stands for it now (docs/review.md). Inputs: $flags, the
-- version's Parquet; the temp tables `latest_decisions` (the month's latest decision per flag,
-- from the review store) and `exceptions_in_force` (every exception with the day it stops
-- applying, `ends_on`).
-- A review stands while the flag is raised on the same rule version and evidence; a flag with no
-- standing human decision (none, or one on evidence that has changed) that an exception matches is
-- justified by the exception, the earliest that matches.
WITH flags AS (
    SELECT flag_id, month, rule_id, rule_version, category, account_id, event_ts,
           CAST(event_local AS DATE) AS event_day,
           sha256(CAST(evidence AS VARCHAR)) AS evidence_sha256,
           json_extract_string(evidence, '$.statement') AS statement
    FROM read_parquet($flags)
),
excepted AS (
    SELECT f.flag_id, arg_min(x.exception_id, x.seq) AS exception_id, arg_min(x.reason, x.seq) AS reason,
           arg_min(x.recorded_at, x.seq) AS recorded_at
    FROM flags f
    JOIN exceptions_in_force x
      ON x.rule_id = f.rule_id AND x.account_id = f.account_id AND f.event_day < x.ends_on
     AND (x.statement_pattern IS NULL OR f.statement LIKE x.statement_pattern)
    GROUP BY f.flag_id
),
judged AS (
    SELECT coalesce(f.flag_id, d.flag_id) AS flag_id,
           coalesce(f.month, d.month) AS month,
           coalesce(f.rule_id, d.rule_id) AS rule_id,
           coalesce(f.category, '') AS category,
           f.account_id, f.event_ts, f.rule_version, f.evidence_sha256,
           f.flag_id IS NOT NULL AS still_raised,
           d.flag_id IS NOT NULL AND (f.flag_id IS NULL
               OR (d.rule_version, d.evidence_sha256) = (f.rule_version, f.evidence_sha256)) AS human_stands,
           d.action, d.disposition, d.reviewer, d.recorded_at, d.note,
           e.exception_id, e.reason AS exception_reason, e.recorded_at AS exception_recorded_at
    FROM flags f
    FULL OUTER JOIN latest_decisions d ON d.flag_id = f.flag_id
    LEFT JOIN excepted e ON e.flag_id = f.flag_id
)
SELECT flag_id, month, rule_id, category, account_id, event_ts, rule_version, evidence_sha256,
       CASE WHEN human_stands AND action = 'review' THEN disposition
            WHEN NOT human_stands AND exception_id IS NOT NULL THEN 'justified'
            ELSE '' END AS disposition,
       CASE WHEN NOT human_stands AND exception_id IS NOT NULL THEN 'exception ' || exception_id
            ELSE coalesce(reviewer, '') END AS reviewer,
       CASE WHEN NOT human_stands AND exception_id IS NOT NULL THEN exception_recorded_at
            ELSE coalesce(recorded_at, '') END AS reviewed_at,
       CASE WHEN NOT human_stands AND exception_id IS NOT NULL THEN exception_reason
            ELSE coalesce(note, '') END AS note,
       CASE WHEN NOT human_stands THEN coalesce(exception_id, '') ELSE '' END AS exception_id,
       still_raised,
       coalesce(action = 'review' AND NOT human_stands, false) AS changed_since_review
FROM judged
ORDER BY flag_id
