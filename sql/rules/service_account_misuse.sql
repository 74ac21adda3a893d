-- A service account used outside what the pack allows it (sql/views/55_service_accounts.sql):
-- from a client host or application it is not registered for, or reading person records outside
-- every one of its windows. A list the pack does not declare, and a host or application the log
-- does not carry, is not judged.
WITH uses AS (
    SELECT e.*, s.hosts, s.applications, s.person_read_windows,
           s.hosts IS NOT NULL AND e.client_host IS NOT NULL
               AND NOT list_contains(s.hosts, e.client_host) AS unregistered_host,
           s.applications IS NOT NULL AND e.application_name IS NOT NULL
               AND NOT list_contains(s.applications, e.application_name) AS unregistered_application,
           s.person_read_windows IS NOT NULL AND e.is_lookup
               AND (nullif(trim(e.subject_person_id), '') IS NOT NULL
                    OR regexp_matches(coalesce(e.statement_tables, lower(e.objects), ''), threshold('bulk_access', 'person_tables')))
               AND NOT in_any_window(CAST(e.local_ts AS TIME), s.person_read_windows) AS read_outside_window
    FROM access_enriched e JOIN service_account_terms s ON s.account_id = e.resolved_account
    WHERE e.is_primary AND e.event_ts >= $month_start AND e.event_ts < $month_end),
judged AS (
    SELECT *, concat_ws('; ',
               CASE WHEN unregistered_host THEN 'from host ' || client_host || ', not one of its hosts (' || array_to_string(hosts, ', ') || ')' END,
               CASE WHEN unregistered_application THEN 'from application ' || application_name || ', not one of its applications (' || array_to_string(applications, ', ') || ')' END,
               CASE WHEN read_outside_window THEN 'read person records at ' || strftime(local_ts, '%H:%M') || ', outside its windows (' || array_to_string(person_read_windows, ', ') || ')' END
           ) AS misuse
    FROM uses WHERE unregistered_host OR unregistered_application OR read_outside_window)
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Service account ' || e.resolved_account || ' ran a ' || e.action_norm || ' ' || e.misuse AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', 'The pack registers this service account for its program only: ' || e.misuse || '.',
           'application_name', e.application_name,
           'allowed_hosts', e.hosts, 'allowed_applications', e.applications,
           'person_read_windows', e.person_read_windows,
           'policy_citation', 'FBI CJIS Security Policy § 5.5.1 (account types and authorizations; monitoring the use of accounts, NIST SP 800-53 AC-2(11) and AC-2(12))',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM judged e
