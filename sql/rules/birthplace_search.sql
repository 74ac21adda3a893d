-- A search that filters people by birthplace, nationality or citizenship: the pattern the city
-- found in ICE's use of PARS.
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || ' searched by ' ||
           coalesce(nullif(regexp_extract(e.pattern_text, threshold('birthplace_search', 'pattern')), ''),
                    'birthplace or nationality') AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', 'The search filters on ' || coalesce(nullif(regexp_extract(e.pattern_text, threshold('birthplace_search', 'pattern')), ''), 'birthplace or nationality (found by the SQL parser)') || ': a sweep for people born abroad, which no criminal-justice purpose requires.',
           'policy_citation', 'City of Philadelphia, 2018-07-27: ICE searched PARS for people born outside the United States; place of birth and country of origin are protected information',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM access_enriched e
WHERE e.is_lookup AND e.is_primary
  AND (regexp_matches(e.pattern_text, threshold('birthplace_search', 'pattern'))
       OR coalesce(e.filters_birthplace, false))
  AND e.event_ts >= $month_start AND e.event_ts < $month_end
