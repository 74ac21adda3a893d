-- Any touch of the audit trail itself: reading or changing audit tables, or switching auditing off.
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || ' touched the audit trail: ' ||
           coalesce(e.statement, e.objects, e.search_terms) AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', 'The ' || coalesce(e.source_action, e.action_norm) || CASE WHEN coalesce(e.disables_audit, false) THEN ' switches database auditing off or narrows it' ELSE ' involves ' || coalesce(nullif(regexp_extract(e.pattern_text, threshold('audit_tamper', 'pattern')), ''), 'an audit table') || ', part of the audit trail' END || '; nobody''s normal work touches it.',
           'policy_citation', 'FBI CJIS Security Policy § 5.4.1.1 item 5 and § 5.4.5 (protection of audit information)',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM access_enriched e
WHERE e.is_primary AND (regexp_matches(e.pattern_text, threshold('audit_tamper', 'pattern'))
       OR coalesce(e.disables_audit, false) OR coalesce(e.touches_audit_tables, false))
  AND e.event_ts >= $month_start AND e.event_ts < $month_end
