-- A person lookup (search, view, export) without a purpose code or a case number.
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || ' ran a ' || e.action_norm || ' without ' ||
           CASE WHEN coalesce(trim(e.purpose_code), '') = '' AND coalesce(trim(e.case_number), '') = ''
                THEN 'a purpose code or a case number'
                WHEN coalesce(trim(e.purpose_code), '') = '' THEN 'a purpose code'
                ELSE 'a case number' END AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', 'Every person lookup must record why (purpose code) and for which case (case or incident number).',
           'policy_citation', 'FBI CJIS Security Policy § 5.4.1.1 and § 5.4.7 (who, why and for whom each criminal-justice query was made)',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM access_enriched e
WHERE e.is_lookup AND e.is_primary
  AND (coalesce(trim(e.purpose_code), '') = '' OR coalesce(trim(e.case_number), '') = '')
  AND e.event_ts >= $month_start AND e.event_ts < $month_end
