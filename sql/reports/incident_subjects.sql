-- The month's flags as incidents: one rule on one subject over one local day is one incident
-- (the subject of an access flag is its account; otherwise the flag's own subject: a detainer, an
-- account, a log source). Per rule and subject: its incidents (days), flags and first and last
-- local time, the $per_rule subjects with the most flags of each rule, with the rule's totals, so
-- that a month of a million flags yields a bounded list.
WITH f AS (
    SELECT rule_id, category, severity,
           CASE WHEN account_id IS NOT NULL AND subject_type = 'access_event' THEN 'account' ELSE subject_type END
               AS subject_type,
           CASE WHEN account_id IS NOT NULL AND subject_type = 'access_event' THEN account_id ELSE subject_id END
               AS subject_id,
           timezone($tz, event_ts) AS local_ts
    FROM flags
    WHERE month = $month),
subjects AS (
    SELECT rule_id, any_value(category) AS category, any_value(severity) AS severity, subject_type,
           subject_id, count(DISTINCT CAST(local_ts AS DATE)) AS incidents, count(*) AS flags,
           strftime(min(local_ts), '%Y-%m-%d %H:%M') AS first_local,
           strftime(max(local_ts), '%Y-%m-%d %H:%M') AS last_local
    FROM f
    GROUP BY rule_id, subject_type, subject_id)
SELECT *,
       count(*) OVER (PARTITION BY rule_id) AS rule_subjects,
       sum(incidents) OVER (PARTITION BY rule_id) AS rule_incidents
FROM subjects
QUALIFY row_number() OVER (PARTITION BY rule_id ORDER BY flags DESC, subject_id) <= $per_rule
ORDER BY rule_id, flags DESC, subject_id
