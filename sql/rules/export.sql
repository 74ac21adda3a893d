-- Records exported by a federal account: secondary dissemination outside the city.
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Federal account ' || e.resolved_account || ' (' || e.agency || ') exported ' ||
           coalesce(CAST(e.result_count AS VARCHAR), 'an unknown number of') || ' records' AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', 'An export by a federal account takes arrest records out of the city''s control; each one needs a recorded recipient and purpose.',
           'policy_citation', 'FBI CJIS Security Policy § 5.4.7 (secondary dissemination)',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM access_enriched e
WHERE e.action_norm = 'export' AND e.is_primary
  AND e.agency_kind LIKE 'federal%'
  AND e.event_ts >= $month_start AND e.event_ts < $month_end
