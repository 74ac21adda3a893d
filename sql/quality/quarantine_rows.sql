-- Quarantined rows with their file, optionally narrowed to one table, one file or a reason
-- (substring, case-insensitive); newest files last, lines in order; the first $limit of them, each
-- with the count of all that match.
SELECT b.table_name, b.path, q.line_no, q.field, q.reason, q.raw, b.ingested_at, count(*) OVER () AS matching
FROM quarantine q JOIN batches b USING (batch_id)
WHERE ($table IS NULL OR b.table_name = $table)
  AND ($path IS NULL OR b.path = $path)
  AND ($reason IS NULL OR contains(lower(q.reason), lower($reason)))
ORDER BY b.path, q.line_no
LIMIT $limit
