-- A lookup returning at least the pack's number of rows: a sweep rather than a case lookup.
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || CASE WHEN NOT coalesce(e.has_where, true)
           THEN ' read person tables without any WHERE clause (' || e.statement_tables || ')'
           ELSE ' retrieved ' || e.result_count || ' records in one ' || e.action_norm END AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', CASE WHEN NOT coalesce(e.has_where, true)
                          THEN 'The statement reads person tables (' || e.statement_tables || ') with no WHERE clause: every record.'
                          ELSE 'The ' || e.action_norm || ' returned ' || e.result_count || ' records; the pack treats ' || threshold('bulk_access', 'result_count') || ' or more as bulk access.' END,
           'threshold', CAST(threshold('bulk_access', 'result_count') AS INTEGER),
           'policy_citation', 'City of Philadelphia, 2018-07-27 (sweeps of new arrests); FBI CJIS Security Policy § 5.4.1.1',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM access_enriched e
WHERE e.is_lookup AND e.is_primary
  AND (e.result_count >= CAST(threshold('bulk_access', 'result_count') AS INTEGER)
       OR (NOT e.has_where AND regexp_matches(e.statement_tables, threshold('bulk_access', 'person_tables'))))
  AND e.event_ts >= $month_start AND e.event_ts < $month_end
