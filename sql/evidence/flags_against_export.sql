-- The month's flags in the warehouse against a report version's Parquet export ($export): each flag
-- deleted (only in the export), added (only in the warehouse) or altered (the columns that differ),
-- the first $listed by flag id, with the count of all.
WITH exported AS (SELECT * FROM read_parquet($export)),
held AS (SELECT * FROM flags WHERE month = $month),
compared AS (
    SELECT coalesce(h.flag_id, e.flag_id) AS flag_id, coalesce(e.rule_id, h.rule_id) AS rule_id,
           CASE WHEN h.flag_id IS NULL THEN 'deleted' WHEN e.flag_id IS NULL THEN 'added' ELSE 'altered' END AS change,
           CASE WHEN h.flag_id IS NOT NULL AND e.flag_id IS NOT NULL THEN list_filter([
               CASE WHEN h.rule_id IS DISTINCT FROM e.rule_id THEN 'rule_id' END,
               CASE WHEN h.rule_version IS DISTINCT FROM e.rule_version THEN 'rule_version' END,
               CASE WHEN h.category IS DISTINCT FROM e.category THEN 'category' END,
               CASE WHEN h.severity IS DISTINCT FROM e.severity THEN 'severity' END,
               CASE WHEN h.subject_type IS DISTINCT FROM e.subject_type THEN 'subject_type' END,
               CASE WHEN h.subject_id IS DISTINCT FROM e.subject_id THEN 'subject_id' END,
               CASE WHEN h.account_id IS DISTINCT FROM e.account_id THEN 'account_id' END,
               CASE WHEN h.person_id IS DISTINCT FROM e.person_id THEN 'person_id' END,
               CASE WHEN h.event_ts IS DISTINCT FROM e.event_ts THEN 'event_ts' END,
               CASE WHEN h.summary IS DISTINCT FROM e.summary THEN 'summary' END,
               CASE WHEN CAST(h.evidence AS VARCHAR) IS DISTINCT FROM CAST(e.evidence AS VARCHAR) THEN 'evidence' END],
               lambda c: c IS NOT NULL) END AS columns
    FROM held h
    FULL JOIN exported e ON e.flag_id = h.flag_id),
differing AS (
    SELECT * FROM compared WHERE change <> 'altered' OR len(columns) > 0)
SELECT flag_id, rule_id, change, columns, count(*) OVER () AS differing
FROM differing
ORDER BY flag_id, change
LIMIT $listed
