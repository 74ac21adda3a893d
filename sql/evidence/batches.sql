-- Every batch as the chain records it (sql/evidence/batch.sql), to compare with its record.
SELECT batch_id, source, table_name, path, sha256, rows_read, rows_loaded, rows_quarantined,
       rows_ignored, ignored_reasons, ingested_at
FROM batches ORDER BY batch_id
