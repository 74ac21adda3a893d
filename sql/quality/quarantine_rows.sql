-- Quarantined rows with their file, optionally narrowed to one table, one file or a reason
-- (substring, case-insensitive); newest files last, lines in order.
SELECT b.table_name, b.path, q.line_no, q.field, q.reason, q.raw, b.ingested_at
FROM quarantine q JOIN batches b USING (batch_id)
WHERE ($table IS NULL OR b.table_name = $table)
  AND ($path IS NULL OR b.path = $path)
  AND ($reason IS NULL OR contains(lower(q.reason), lower($reason)))
ORDER BY b.path, q.line_no
