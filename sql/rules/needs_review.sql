-- Facts the data cannot decide never pass silently: an act whose conviction test rests on an
-- undecidable charge, a notice the version in force may have allowed on facts not in the data,
-- a hold whose timeline is incomplete, or a detainer action outside the known set.
WITH reasons AS (
    SELECT a.detainer_id, a.act_at AS reason_at, a.version_id,
           'the ' || a.act || '''s conviction test rests on charges the data cannot settle' AS reason
    FROM detainer_acts a JOIN act_conviction_test t USING (detainer_id, act)
    WHERE a.restricted AND a.needs_conviction AND NOT t.has_qualifying AND t.undecidable > 0
    UNION ALL
    SELECT a.detainer_id, a.act_at, a.version_id,
           'a release notice under ' || a.version_title || ', which allowed notices in cases whose facts are not in the data'
    FROM detainer_acts a JOIN act_conviction_test t USING (detainer_id, act)
    WHERE a.act = 'notice' AND a.restricted AND a.when_not_met = 'needs_review'
      AND NOT t.has_qualifying
    UNION ALL
    SELECT a.detainer_id, a.act_at, a.version_id, 'the hold''s timeline is incomplete: ' || d.undecided_reason
    FROM detainer_acts a JOIN hold_durations d USING (detainer_id)
    WHERE a.act = 'hold' AND a.restricted AND d.undecided_reason IS NOT NULL
    UNION ALL
    SELECT t.detainer_id, coalesce(t.action_at, t.received_at), NULL,
           'detainer action ''' || coalesce(t.action, '') || ''' is outside the known set'
    FROM detainer_timeline t
    WHERE t.action_norm NOT IN ('held', 'notified', 'transferred', 'declined', 'lifted', 'pending')),
per_detainer AS (
    SELECT detainer_id, min(reason_at) AS first_at, list(DISTINCT reason ORDER BY reason) AS why,
           list(DISTINCT version_id) FILTER (version_id IS NOT NULL) AS versions
    FROM reasons GROUP BY detainer_id)
SELECT 'detainer' AS subject_type,
       p.detainer_id AS subject_id,
       NULL AS account_id,
       d.person_id,
       p.first_at AS event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Detainer ' || p.detainer_id || ' needs review: ' || p.why[1] AS summary,
       json_object(
           'reason', array_to_string(p.why, '; '),
           'policy_version', p.versions,
           'charges_considered', (SELECT t.charges FROM act_conviction_test t
                                  WHERE t.detainer_id = p.detainer_id ORDER BY t.act LIMIT 1),
           'form_type', d.form_type, 'action', d.action, 'attachments', d.attachments,
           'source_lines', json_array(source_of(d.batch_id, d.source_line))
       ) AS evidence
FROM per_detainer p
JOIN detainers d USING (detainer_id)
WHERE p.first_at >= $month_start AND p.first_at < $month_end
