-- A change to the database (insert, update, delete, DDL, permissions) by an account that may not
-- write, whether or not the database let it through.
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || ' without write permission attempted ' ||
           coalesce(e.source_action, e.action_norm) ||
           CASE WHEN lower(coalesce(e.outcome, '')) = 'failure' THEN ' (denied)' ELSE '' END AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', CASE WHEN e.registered THEN 'The account is not allowed to write (can_write is false).'
                          ELSE 'The user maps to no registered account, so no write is allowed.' END,
           'policy_citation', 'FBI CJIS Security Policy § 5.4.1.1 item 2 (attempts to create, write, delete or change permissions)',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM access_enriched e
WHERE e.action_norm IN ('insert', 'update', 'delete', 'ddl', 'permission') AND e.is_primary
  AND NOT e.can_write
  AND e.event_ts >= $month_start AND e.event_ts < $month_end
