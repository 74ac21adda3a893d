-- Access to the arrest database by an account outside its own window, by an agency whose
-- agreement had ended, or by a user that is no registered account at all.
WITH judged AS (
    SELECT e.*, g.access_until, g.citation AS agreement_citation,
           list_filter([
               CASE WHEN NOT e.registered THEN 'account is not in the accounts register' END,
               CASE WHEN e.event_ts >= g.access_until
                    THEN 'the ' || e.agency_kind || ' agreement ended at ' ||
                         strftime(timezone(pack_tz(), g.access_until), '%Y-%m-%d %H:%M') || ' local' END,
               CASE WHEN e.event_ts < local_midnight(e.access_start)
                    THEN 'before the account''s access_start ' || e.access_start END,
               CASE WHEN e.event_ts >= local_midnight(e.access_end + INTERVAL 1 DAY)
                    THEN 'after the account''s access_end ' || e.access_end END
           ], lambda x: x IS NOT NULL) AS crossed
    FROM access_enriched e
    LEFT JOIN policy_agreements g ON g.agency_kind = e.agency_kind
    WHERE e.is_primary AND e.action_norm NOT IN ('logout', 'login_failed')
      AND e.event_ts >= $month_start AND e.event_ts < $month_end)
SELECT 'access_event' AS subject_type,
       e.event_id AS subject_id,
       e.resolved_account AS account_id,
       e.subject_person_id AS person_id,
       e.event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || ' (' || coalesce(e.agency, 'unregistered') || ') ran a ' ||
           e.action_norm || ' outside its access: ' || e.crossed[1] AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', array_to_string(e.crossed, '; '),
           'bounds_crossed', e.crossed,
           'account_access_start', e.access_start, 'account_access_end', e.access_end,
           'agreement_until', e.access_until,
           'policy_citation', e.agreement_citation,
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM judged e
WHERE len(e.crossed) > 0
