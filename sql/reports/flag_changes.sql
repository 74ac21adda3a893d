-- Flags added, removed and changed between the previous version's Parquet export ($previous) and
-- this version's ($current): the count of each kind and the first $listed flag ids of it.
WITH previous AS (SELECT * FROM read_parquet($previous)),
current AS (SELECT * FROM read_parquet($current)),
changed AS (
    SELECT coalesce(c.flag_id, p.flag_id) AS flag_id,
           CASE WHEN p.flag_id IS NULL THEN 'added' WHEN c.flag_id IS NULL THEN 'removed' ELSE 'changed' END AS change
    FROM current c
    FULL JOIN previous p ON p.flag_id = c.flag_id
    WHERE p.flag_id IS NULL OR c.flag_id IS NULL
       OR (c.rule_id, c.rule_version, c.category, c.severity, c.subject_type, c.subject_id, c.account_id,
           c.person_id, c.event_ts, c.summary, CAST(c.evidence AS VARCHAR))
          IS DISTINCT FROM
          (p.rule_id, p.rule_version, p.category, p.severity, p.subject_type, p.subject_id, p.account_id,
           p.person_id, p.event_ts, p.summary, CAST(p.evidence AS VARCHAR))),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY change ORDER BY flag_id) AS position FROM changed)
SELECT change, count(*) AS flags,
       coalesce(list(flag_id ORDER BY flag_id) FILTER (WHERE position <= $listed), []) AS listed
FROM numbered
GROUP BY change
