-- How long city custody continued after release eligibility while a detainer was honoured,
-- counting only business time (8 C.F.R. § 287.7(d): weekends and federal holidays excluded, local
-- calendar days) and leaving out time held for another agency (other_hold_start .. other_hold_end).
-- counted_seconds is NULL when the timeline cannot be decided (no eligibility or no end of custody).
CREATE OR REPLACE TEMP VIEW hold_durations AS
WITH holds AS (
    SELECT detainer_id, booking_id, eligible_at, custody_end_at, custody_end_by
    FROM detainer_timeline WHERE hold_happened),
other_holds AS (
    SELECT s.booking_id, s.event_ts AS start_at,
           (SELECT min(e.event_ts) FROM custody_events e
            WHERE e.booking_id = s.booking_id AND e.event_type = 'other_hold_end' AND e.event_ts >= s.event_ts)
               AS end_at
    FROM custody_events s WHERE s.event_type = 'other_hold_start'),
days AS (
    SELECT detainer_id, booking_id, eligible_at, custody_end_at,
           CAST(unnest(generate_series(CAST(timezone(pack_tz(), eligible_at) AS DATE),
                                       CAST(timezone(pack_tz(), custody_end_at) AS DATE),
                                       INTERVAL 1 DAY)) AS DATE) AS day
    FROM holds WHERE eligible_at IS NOT NULL AND custody_end_at IS NOT NULL),
business_windows AS (
    -- The part of the hold that falls on each business day.
    SELECT detainer_id, booking_id,
           greatest(eligible_at, local_midnight(day)) AS window_start,
           least(custody_end_at, local_midnight(day + 1)) AS window_end
    FROM days
    WHERE isodow(day) < 6 AND day NOT IN (SELECT day FROM policy_holidays)),
window_overlaps AS (
    SELECT w.detainer_id,
           epoch(w.window_end) - epoch(w.window_start) AS window_seconds,
           coalesce(sum(greatest(0, epoch(least(w.window_end, coalesce(o.end_at, w.window_end)))
                                  - epoch(greatest(w.window_start, o.start_at))))
                    FILTER (o.start_at IS NOT NULL), 0) AS other_seconds
    FROM business_windows w
    LEFT JOIN other_holds o ON o.booking_id = w.booking_id
    GROUP BY w.detainer_id, w.window_start, w.window_end)
SELECT h.detainer_id, h.eligible_at, h.custody_end_at, h.custody_end_by,
       CASE WHEN h.eligible_at IS NULL OR h.custody_end_at IS NULL THEN NULL
            ELSE coalesce((SELECT sum(window_seconds - other_seconds) FROM window_overlaps o
                           WHERE o.detainer_id = h.detainer_id), 0) END AS counted_seconds,
       CASE WHEN h.eligible_at IS NULL THEN 'no release-eligibility event on the booking'
            WHEN h.custody_end_at IS NULL THEN 'no release or transfer after release eligibility' END
           AS undecided_reason
FROM holds h;
