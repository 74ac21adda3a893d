-- Files loaded, with their checksums and reconciliation counts (the report's input manifest).
SELECT batch_id, table_name, source, path, sha256, rows_read, rows_loaded, rows_quarantined,
       rows_ignored, rows_read = rows_loaded + rows_quarantined + rows_ignored AS reconciled,
       ingested_at
FROM batches ORDER BY table_name, path, batch_id
