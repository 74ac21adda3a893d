-- One row per detainer with its timeline: release eligibility (the earliest release order, bail
-- posting or sentence completion on the booking), any transfer to ICE, the end of city custody
-- after eligibility, and whether a hold or a release notice happened.
CREATE OR REPLACE TEMP VIEW detainer_timeline AS
WITH eligibility AS (
    SELECT booking_id, min(event_ts) AS eligible_at, arg_min(event_type, event_ts) AS eligible_by
    FROM custody_events WHERE event_type IN ('release_ordered', 'bail_posted', 'sentence_complete')
    GROUP BY booking_id),
transfers AS (
    SELECT booking_id, min(event_ts) AS transferred_at FROM custody_events
    WHERE event_type = 'transferred_to_ice' GROUP BY booking_id),
custody_ends AS (
    SELECT c.booking_id, min(c.event_ts) AS custody_end_at, arg_min(c.event_type, c.event_ts) AS custody_end_by
    FROM custody_events c JOIN eligibility e USING (booking_id)
    WHERE c.event_type IN ('transferred_to_ice', 'released') AND c.event_ts >= e.eligible_at
    GROUP BY c.booking_id)
SELECT d.*, e.eligible_at, e.eligible_by, t.transferred_at, x.custody_end_at, x.custody_end_by,
       lower(coalesce(d.action, '')) AS action_norm,
       (lower(d.action) IN ('held', 'transferred') OR t.transferred_at IS NOT NULL) AS hold_happened,
       (lower(d.action) = 'notified' OR d.notice_sent_at IS NOT NULL
        OR (upper(d.form_type) = 'I-247N' AND lower(d.action) NOT IN ('declined', 'lifted', 'pending')))
           AS notice_given,
       coalesce(d.notice_sent_at, d.action_at) AS notice_at,
       list_contains(string_split(replace(coalesce(d.attachments, ''), ' ', ''), ';'), 'judicial_warrant')
           AS has_judicial_warrant
FROM detainers d
LEFT JOIN eligibility e USING (booking_id)
LEFT JOIN transfers t USING (booking_id)
LEFT JOIN custody_ends x USING (booking_id);
