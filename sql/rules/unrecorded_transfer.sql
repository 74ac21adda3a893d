-- The detainer record says declined, lifted or pending, but the custody log shows a transfer to ICE:
-- an implicit hold the detainer record hides.
SELECT 'detainer' AS subject_type,
       t.detainer_id AS subject_id,
       NULL AS account_id,
       t.person_id,
       t.transferred_at AS event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Detainer ' || t.detainer_id || ' is recorded as ' || t.action_norm ||
           ' but booking ' || t.booking_id || ' was transferred to ICE' AS summary,
       json_object(
           'reason', 'The detainer record says ''' || t.action_norm || ''', yet the custody log shows a transfer to ICE for the same booking: the record does not show the hold that took place.',
           'detainer_action', t.action,
           'transferred_at', t.transferred_at,
           'release_eligible_at', t.eligible_at,
           'source_lines', json_array(
               source_of(t.batch_id, t.source_line),
               (SELECT source_of(c.batch_id, c.source_line) FROM custody_events c
                WHERE c.booking_id = t.booking_id AND c.event_type = 'transferred_to_ice'
                ORDER BY c.event_ts LIMIT 1))
       ) AS evidence
FROM detainer_timeline t
WHERE t.action_norm IN ('declined', 'lifted', 'pending')
  AND t.transferred_at IS NOT NULL
  AND t.transferred_at >= $month_start AND t.transferred_at < $month_end
