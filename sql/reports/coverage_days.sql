-- Access events per local day of the month, with days that received none.
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM range(CAST(CAST(timezone($tz, $month_start) AS DATE) AS TIMESTAMP),
               CAST(CAST(timezone($tz, $month_end) AS DATE) AS TIMESTAMP), INTERVAL 1 DAY) r(d)),
counts AS (
    SELECT CAST(local_time(event_ts) AS DATE) AS day, count(*) AS events
    FROM access_events WHERE event_ts >= $month_start AND event_ts < $month_end GROUP BY ALL)
SELECT day, coalesce(events, 0) AS events FROM days LEFT JOIN counts USING (day) ORDER BY day
