-- Access to the arrest database by an account outside its own window, by an agency whose
-- agreement had ended, or by a user that is no registered account at all.
WITH events AS (
    SELECT e.*, coalesce(m.account_id, e.account_id) AS resolved_account
    FROM access_events e
    LEFT JOIN account_map m ON m.source = e.source AND m.db_user = e.account_id
    WHERE e.event_ts >= $month_start AND e.event_ts < $month_end
      AND coalesce(e.action, 'other') NOT IN ('logout', 'login_failed')),
judged AS (
    SELECT ev.*, a.account_id AS known_account, a.agency, a.agency_kind, a.access_start, a.access_end,
           g.access_until, g.citation AS agreement_citation,
           list_filter([
               CASE WHEN a.account_id IS NULL THEN 'account is not in the accounts register' END,
               CASE WHEN ev.event_ts >= g.access_until
                    THEN 'the ' || a.agency_kind || ' agreement ended at ' ||
                         strftime(timezone(pack_tz(), g.access_until), '%Y-%m-%d %H:%M') || ' local' END,
               CASE WHEN ev.event_ts < local_midnight(a.access_start)
                    THEN 'before the account''s access_start ' || a.access_start END,
               CASE WHEN ev.event_ts >= local_midnight(a.access_end + INTERVAL 1 DAY)
                    THEN 'after the account''s access_end ' || a.access_end END
           ], lambda x: x IS NOT NULL) AS crossed
    FROM events ev
    LEFT JOIN accounts a ON a.account_id = ev.resolved_account
    LEFT JOIN policy_agreements g ON g.agency_kind = a.agency_kind)
SELECT 'access_event' AS subject_type,
       event_id AS subject_id,
       resolved_account AS account_id,
       subject_person_id AS person_id,
       event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Account ' || resolved_account || ' (' || coalesce(agency, 'unregistered') || ') ran a ' ||
           coalesce(action, 'database') || ' outside its access: ' || crossed[1] AS summary,
       json_object(
           'reason', array_to_string(crossed, '; '),
           'bounds_crossed', crossed,
           'agency', agency, 'agency_kind', agency_kind,
           'account_access_start', access_start, 'account_access_end', access_end,
           'agreement_until', access_until,
           'policy_citation', agreement_citation,
           'action', action, 'source_action', source_action, 'client_addr', client_addr,
           'search_terms', search_terms, 'statement', statement,
           'event_local_time', strftime(timezone(pack_tz(), event_ts), '%Y-%m-%d %H:%M:%S'),
           'source_lines', json_array(source_of(batch_id, source_line))
       ) AS evidence
FROM judged
WHERE len(crossed) > 0
