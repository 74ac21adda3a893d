-- Gaps in the access logs (the coverage_gaps view, the same the log_gap rule reads) that overlap
-- the month, in local time.
SELECT source, kind, strftime(timezone($tz, gap_start), '%Y-%m-%d %H:%M:%S') AS gap_start_local,
       strftime(timezone($tz, gap_end), '%Y-%m-%d %H:%M:%S') AS gap_end_local,
       CAST(round(epoch(gap_end - gap_start) / 60) AS BIGINT) AS silent_minutes, missing_records,
       event_before, event_after
FROM coverage_gaps
WHERE gap_start < $month_end AND gap_end > $month_start
ORDER BY gap_start, source, kind
