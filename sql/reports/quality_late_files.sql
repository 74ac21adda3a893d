-- Files that arrived after the month was first reported: loaded, and included from the re-run on.
SELECT table_name, path, rows_bearing, ingested_at, month_first_reported_at
FROM late_batches WHERE month = $month
ORDER BY ingested_at, path
