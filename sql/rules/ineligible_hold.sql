-- A person was held for ICE (or handed to ICE) without the conviction the policy in force required.
-- Undecidable charges leave the case to needs_review instead of deciding it here.
SELECT 'detainer' AS subject_type,
       a.detainer_id AS subject_id,
       NULL AS account_id,
       a.person_id,
       a.act_at AS event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Held for ICE on detainer ' || a.detainer_id || ' under ' || a.version_title ||
           ' without a conviction for a first- or second-degree felony involving violence on booking ' ||
           a.booking_id AS summary,
       json_object(
           'reason', 'No charge on this booking was a conviction, at or before release eligibility, for a first- or second-degree felony involving violence, as ' || a.version_title || ' requires for a hold.',
           'policy_version', a.version_id,
           'policy_citation', a.version_citation,
           'act', CASE WHEN a.transferred_at IS NOT NULL THEN 'transferred to ICE' ELSE 'held (' || a.action || ')' END,
           'act_judged_at', a.act_at,
           'release_eligible_at', a.eligible_at,
           'release_eligible_by', a.eligible_by,
           'transferred_at', a.transferred_at,
           'form_type', a.form_type,
           'attachments', a.attachments,
           'charges_considered', t.charges,
           'source_lines', json_array(source_of(a.batch_id, a.source_line))
       ) AS evidence
FROM detainer_acts a
JOIN act_conviction_test t USING (detainer_id, act)
WHERE a.act = 'hold'
  AND a.restricted AND a.needs_conviction
  AND NOT t.has_qualifying
  AND t.undecidable = 0
  AND a.act_at >= $month_start AND a.act_at < $month_end
