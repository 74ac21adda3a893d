-- NYC Admin. Code § 9-131 / § 14-154 counts for the detainers received in the month: detainers
-- received, and people held beyond release, transferred to ICE, or whose detainer was not honored.
-- A transfer is the hold carried out, so it counts as held too; a declined detainer whose booking
-- the custody log shows transferred was honored in fact.
WITH received AS (
    SELECT person_id, booking_id, action
    FROM detainers
    WHERE received_at >= $month_start AND received_at < $month_end),
transfers AS (
    SELECT DISTINCT booking_id FROM custody_events
    WHERE event_type = 'transferred_to_ice' AND booking_id IN (SELECT booking_id FROM received)),
judged AS (
    SELECT r.person_id, r.action, r.action = 'transferred' OR t.booking_id IS NOT NULL AS transferred
    FROM received r LEFT JOIN transfers t USING (booking_id))
SELECT count(*) AS detainers_received,
       count(DISTINCT person_id) FILTER (action = 'held' OR transferred) AS people_held_beyond_release,
       count(DISTINCT person_id) FILTER (transferred) AS people_transferred,
       count(DISTINCT person_id) FILTER (action = 'declined' AND NOT transferred) AS people_not_honored
FROM judged
