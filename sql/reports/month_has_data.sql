-- Whether the warehouse holds anything for the month: a row of any landing table on one of its
-- local days (coverage_days), or a file named for the month or one of its days. A month with
-- neither is reported as NO DATA, never as a month in which nothing happened.
SELECT EXISTS (
           SELECT 1 FROM coverage_days
           WHERE day >= CAST(timezone($tz, $month_start) AS DATE) AND day < CAST(timezone($tz, $month_end) AS DATE)
             AND rows_received > 0)
       OR EXISTS (
           SELECT 1 FROM batches
           WHERE regexp_matches(regexp_extract(path, '[^/\\]*$'), '(^|[^0-9])' || $month || '($|[^0-9])')) AS has_data
