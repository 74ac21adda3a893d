-- A batch as the chain records it: its row of `batches`, as written when its file was loaded.
SELECT batch_id, source, table_name, path, sha256, rows_read, rows_loaded, rows_quarantined,
       rows_ignored, ignored_reasons, ingested_at
FROM batches WHERE batch_id = $batch_id
