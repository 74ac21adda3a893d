-- Every flag of the month, most severe first.
SELECT flag_id, rule_id, rule_version, category, severity, subject_type, subject_id, account_id,
       person_id, strftime(timezone($tz, event_ts), '%Y-%m-%d %H:%M:%S') AS event_local, summary,
       evidence
FROM flags WHERE month = $month
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'informational'], severity), category,
         event_ts, subject_id
