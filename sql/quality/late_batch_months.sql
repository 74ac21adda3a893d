-- The reported months (local calendar months in $tz) that one batch's rows bear on, with how many
-- of its rows do: a row's own month by its table's main timestamp; a charge bears on the months
-- of the detainers on its booking; an account or account_map row on the months of the access
-- events it attributes.
WITH bearing AS (
    SELECT event_ts AS ts FROM access_events WHERE batch_id = $batch_id
    UNION ALL SELECT received_at FROM detainers WHERE batch_id = $batch_id
    UNION ALL SELECT event_ts FROM custody_events WHERE batch_id = $batch_id
    UNION ALL SELECT arrest_ts FROM arrests WHERE batch_id = $batch_id
    UNION ALL SELECT d.received_at FROM charges c JOIN detainers d USING (booking_id)
              WHERE c.batch_id = $batch_id
    UNION ALL SELECT e.event_ts FROM accounts a JOIN access_events e USING (account_id)
              WHERE a.batch_id = $batch_id
    UNION ALL SELECT e.event_ts FROM account_map m
              JOIN access_events e ON e.source = m.source AND e.account_id = m.db_user
              WHERE m.batch_id = $batch_id),
months AS (
    SELECT strftime(timezone($tz, ts), '%Y-%m') AS month, count(*) AS rows_bearing
    FROM bearing WHERE ts IS NOT NULL GROUP BY ALL)
SELECT m.month, m.rows_bearing, r.first_reported_at
FROM months m JOIN month_reports r USING (month)
ORDER BY m.month
