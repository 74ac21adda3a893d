-- A person was held for ICE (or handed to ICE) without the conviction the policy in force required.
-- Undecidable charges leave the case to needs_review instead of deciding it here.
SELECT 'detainer' AS subject_type,
       h.detainer_id AS subject_id,
       NULL AS account_id,
       h.person_id,
       h.hold_at AS event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Held for ICE on detainer ' || h.detainer_id || ' under ' || v.title ||
           ' without a conviction for a first- or second-degree felony involving violence on booking ' ||
           h.booking_id AS summary,
       json_object(
           'reason', 'No charge on this booking was a conviction, at or before release eligibility, for a qualifying felony involving violence, as ' || v.title || ' requires for a hold.',
           'policy_version', v.version_id,
           'policy_citation', v.citation,
           'act', CASE WHEN h.transferred_at IS NOT NULL THEN 'transferred to ICE' ELSE 'held (' || h.action || ')' END,
           'act_judged_at', h.hold_at,
           'release_eligible_at', h.eligible_at,
           'release_eligible_by', h.eligible_by,
           'transferred_at', h.transferred_at,
           'form_type', h.form_type,
           'attachments', h.attachments,
           'charges_considered', t.charges,
           'source_lines', json_array(source_of(h.batch_id, h.source_line))
       ) AS evidence
FROM detainer_holds h
JOIN hold_conviction_test t USING (detainer_id)
JOIN policy_versions v
  ON h.hold_at >= v.effective_from AND (v.effective_to IS NULL OR h.hold_at < v.effective_to)
WHERE h.hold_happened
  AND v.hold_restricted AND v.hold_needs_conviction
  AND NOT t.has_qualifying
  AND t.undecidable = 0
  AND h.hold_at >= $month_start AND h.hold_at < $month_end
