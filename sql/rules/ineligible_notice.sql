-- ICE was told of a release that the policy in force did not allow a notice for.
SELECT 'detainer' AS subject_type,
       a.detainer_id AS subject_id,
       NULL AS account_id,
       a.person_id,
       a.act_at AS event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Release notice to ICE on detainer ' || a.detainer_id || ' under ' || a.version_title ||
           ' without a conviction for a first- or second-degree felony involving violence' AS summary,
       json_object(
           'reason', 'ICE was told of the release although no charge on this booking was a conviction, at or before release eligibility, for a first- or second-degree felony involving violence, as ' || a.version_title || ' requires for a notice.',
           'policy_version', a.version_id,
           'policy_citation', a.version_citation,
           'act', 'release notice',
           'notice_sent_at', a.act_at,
           'form_type', a.form_type,
           'action', a.action,
           'release_eligible_at', a.eligible_at,
           'charges_considered', t.charges,
           'source_lines', json_array(source_of(a.batch_id, a.source_line))
       ) AS evidence
FROM detainer_acts a
JOIN act_conviction_test t USING (detainer_id, act)
WHERE a.act = 'notice'
  AND a.restricted AND a.needs_conviction AND a.when_not_met = 'violation'
  AND NOT t.has_qualifying
  AND t.undecidable = 0
  AND a.act_at >= $month_start AND a.act_at < $month_end
