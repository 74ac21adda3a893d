-- One row per detainer with its timeline: release eligibility (the earliest release order, bail
-- posting or sentence completion on the booking), any transfer to ICE, and whether a hold happened.
-- The hold is judged at release eligibility (DESIGN.md, "Policy packs"); failing that, at the act.
CREATE OR REPLACE TEMP VIEW detainer_holds AS
WITH eligibility AS (
    SELECT booking_id, min(event_ts) AS eligible_at, arg_min(event_type, event_ts) AS eligible_by
    FROM custody_events WHERE event_type IN ('release_ordered', 'bail_posted', 'sentence_complete')
    GROUP BY booking_id),
transfers AS (
    SELECT booking_id, min(event_ts) AS transferred_at FROM custody_events
    WHERE event_type = 'transferred_to_ice' GROUP BY booking_id)
SELECT d.*, e.eligible_at, e.eligible_by, t.transferred_at,
       (d.action IN ('held', 'transferred') OR t.transferred_at IS NOT NULL) AS hold_happened,
       coalesce(e.eligible_at, d.action_at, t.transferred_at) AS hold_at,
       list_contains(string_split(replace(coalesce(d.attachments, ''), ' ', ''), ';'), 'judicial_warrant')
           AS has_judicial_warrant
FROM detainers d
LEFT JOIN eligibility e USING (booking_id)
LEFT JOIN transfers t USING (booking_id);
