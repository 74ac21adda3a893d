-- The month's flags with their local time, policy citation and source lines: every flag for the
-- CSV and Parquet exports ($per_rule NULL), or the first $per_rule of each rule by time for the
-- IG report's detail, chosen on the narrow columns before any evidence is read, so that a month
-- with a million flags renders in bounded time and memory.
WITH detailed AS (
    SELECT flag_id
    FROM flags
    WHERE month = $month AND $per_rule IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY rule_id ORDER BY event_ts, subject_id, flag_id) <= $per_rule)
SELECT flag_id, rule_id, rule_version, category, severity, month, subject_type, subject_id,
       account_id, person_id, event_ts,
       strftime(timezone($tz, event_ts), '%Y-%m-%d %H:%M:%S') AS event_local,
       summary,
       evidence ->> 'policy_citation' AS policy_citation,
       CASE WHEN json_type(evidence -> 'source_lines') = 'ARRAY' THEN array_to_string(
           list_transform(CAST(evidence -> 'source_lines' AS JSON[]),
                          lambda s: (s ->> 'file') || ':' || (s ->> 'line')), '; ') END AS source_lines,
       evidence
FROM flags
WHERE month = $month AND ($per_rule IS NULL OR flag_id IN (SELECT flag_id FROM detailed))
ORDER BY event_ts, rule_id, subject_id, flag_id
