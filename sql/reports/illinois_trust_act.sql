-- Illinois TRUST Act (5 ILCS 805/25) fields for every detainer received in the month: date
-- received, criminal bail posted, released or transferred, when, and to which agency. No names and
-- no ids: records are numbered. The custody log decides release and transfer; a transfer that only
-- the detainer record shows still counts as one.
WITH received AS (
    SELECT detainer_id, booking_id, received_at, form_type, action, action_at
    FROM detainers
    WHERE received_at >= $month_start AND received_at < $month_end),
custody AS (
    SELECT booking_id,
           min(event_ts) FILTER (event_type = 'bail_posted') AS bail_posted_at,
           min(event_ts) FILTER (event_type = 'transferred_to_ice') AS transferred_at,
           min(event_ts) FILTER (event_type = 'released') AS released_at
    FROM custody_events
    WHERE booking_id IN (SELECT booking_id FROM received)
    GROUP BY booking_id),
judged AS (
    SELECT r.*, c.bail_posted_at, c.released_at,
           coalesce(c.transferred_at, CASE WHEN r.action = 'transferred' THEN r.action_at END)
               AS transferred_at,
           c.transferred_at IS NOT NULL OR r.action = 'transferred' AS transferred
    FROM received r LEFT JOIN custody c USING (booking_id))
SELECT row_number() OVER (ORDER BY received_at, detainer_id) AS record_no,
       received_at,
       form_type,
       bail_posted_at,
       CASE WHEN transferred THEN 'transferred' WHEN released_at IS NOT NULL THEN 'released' END
           AS outcome,
       CASE WHEN transferred THEN transferred_at ELSE released_at END AS outcome_at,
       CASE WHEN transferred THEN 'U.S. Immigration and Customs Enforcement' END AS transferred_to
FROM judged
ORDER BY record_no
