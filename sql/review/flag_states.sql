-- Each flag of a published version, and each flag of the month decided earlier that the version no
-- longer raises, with the decision that stands for it now (docs/review.md). Inputs: $flags, the
-- version's Parquet; the temp tables `latest_decisions` (the month's latest decision per flag,
-- from the review store) and `exceptions_in_force` (every exception with the day it stops
-- applying, `ends_on`).
-- A review stands while the flag is raised on the same rule version and evidence; a flag with no
-- standing human decision (none, or one on evidence that has changed) that an exception matches is
-- justified by the exception, the earliest that matches.
-- A month may hold millions of flags and few decisions: the evidence is hashed, and its statement
-- read, only for the flags a decision or an exception is about.
WITH flags AS (
    SELECT flag_id, month, rule_id, rule_version, category, account_id, event_ts,
           CAST(event_local AS DATE) AS event_day, evidence
    FROM read_parquet($flags)
),
excepted AS (
    SELECT f.flag_id, arg_min(x.exception_id, x.seq) AS exception_id, arg_min(x.reason, x.seq) AS reason,
           arg_min(x.recorded_at, x.seq) AS recorded_at
    FROM flags f
    JOIN exceptions_in_force x
      ON x.rule_id = f.rule_id AND x.account_id = f.account_id AND f.event_day < x.ends_on
     AND (x.statement_pattern IS NULL OR json_extract_string(f.evidence, '$.statement') LIKE x.statement_pattern)
    GROUP BY f.flag_id
),
joined AS (
    SELECT f.*, d.flag_id AS decided_flag_id, d.month AS decided_month, d.rule_id AS decided_rule_id,
           d.rule_version AS decided_rule_version, d.evidence_sha256 AS decided_evidence_sha256,
           d.action, d.disposition, d.reviewer, d.recorded_at, d.note,
           e.exception_id, e.reason AS exception_reason, e.recorded_at AS exception_recorded_at,
           CASE WHEN f.flag_id IS NOT NULL AND (d.flag_id IS NOT NULL OR e.exception_id IS NOT NULL)
                THEN sha256(CAST(f.evidence AS VARCHAR)) END AS evidence_sha256
    FROM flags f
    FULL OUTER JOIN latest_decisions d ON d.flag_id = f.flag_id
    LEFT JOIN excepted e ON e.flag_id = f.flag_id
),
judged AS (
    SELECT coalesce(flag_id, decided_flag_id) AS flag_id,
           coalesce(month, decided_month) AS month,
           coalesce(rule_id, decided_rule_id) AS rule_id,
           coalesce(category, '') AS category,
           account_id, event_ts, rule_version, evidence_sha256,
           flag_id IS NOT NULL AS still_raised,
           decided_flag_id IS NOT NULL AND (flag_id IS NULL
               OR (decided_rule_version, decided_evidence_sha256) = (rule_version, evidence_sha256)) AS human_stands,
           action, disposition, reviewer, recorded_at, note,
           exception_id, exception_reason, exception_recorded_at
    FROM joined
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
