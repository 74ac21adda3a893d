-- Activity by a city account outside its working hours (its own, else the pack's), at a weekend
-- or on a federal holiday, in the pack's time zone.
WITH hours AS (
    SELECT e.*,
           CAST(e.local_ts AS TIME) AS local_time
    FROM access_enriched e
    WHERE e.agency_kind = 'city' AND e.action_norm NOT IN ('logout', 'login_failed') AND e.is_primary
      AND e.event_ts >= $month_start AND e.event_ts < $month_end),
judged AS (
    SELECT *,
           CASE WHEN isodow(local_day) >= 6 THEN 'at a weekend'
                WHEN local_day IN (SELECT day FROM policy_holidays) THEN 'on a federal holiday'
                WHEN NOT in_time_windows(local_time, work_windows) THEN 'outside working hours ' || work_hours
           END AS when_off
    FROM hours)
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || ' ran a ' || e.action_norm || ' at ' ||
           strftime(e.local_ts, '%a %Y-%m-%d %H:%M') || ', ' || e.when_off AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', 'The ' || e.action_norm || ' happened ' || e.when_off || ' (' || pack_tz() || ').',
           'work_hours', e.work_hours,
           'policy_citation', 'FBI CJIS Security Policy § 5.4.3 (review of unusual activity); off-hours lookups are a known marker of misuse',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM judged e
WHERE e.when_off IS NOT NULL
