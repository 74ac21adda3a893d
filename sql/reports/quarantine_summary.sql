-- Quarantined rows by file, field and reason.
SELECT q.batch_id, b.table_name, b.path, q.field, q.reason, count(*) AS rows_quarantined,
       min(q.line_no) AS first_line
FROM quarantine q JOIN batches b USING (batch_id)
GROUP BY ALL ORDER BY b.table_name, b.path, rows_quarantined DESC, first_line
