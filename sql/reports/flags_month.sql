-- Every flag of the month with its local time, policy citation and source lines: the rows of the
-- IG report and of the CSV and Parquet exports.
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
WHERE month = $month
ORDER BY event_ts, rule_id, subject_id, flag_id
