-- Rows per local day of the month and source (the coverage_days view), zero where a source sent
-- nothing; the sources are those with rows in the month or the month before.
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM range(CAST(CAST(timezone($tz, $month_start) AS DATE) AS TIMESTAMP),
               CAST(CAST(timezone($tz, $month_end) AS DATE) AS TIMESTAMP), INTERVAL 1 DAY) r(d)),
sources AS (
    SELECT DISTINCT table_name, source FROM coverage_days
    WHERE day >= CAST(CAST(timezone($tz, $month_start) AS DATE) - INTERVAL 1 MONTH AS DATE)
      AND day < CAST(timezone($tz, $month_end) AS DATE))
SELECT s.table_name, s.source, d.day, coalesce(c.rows_received, 0) AS rows_received
FROM sources s CROSS JOIN days d
LEFT JOIN coverage_days c ON c.table_name = s.table_name AND c.source = s.source AND c.day = d.day
ORDER BY s.table_name, s.source, d.day
