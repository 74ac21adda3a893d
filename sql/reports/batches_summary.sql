-- Files loaded, with their reconciliation counts.
SELECT table_name, path, sha256, rows_read, rows_loaded, rows_quarantined, rows_ignored,
       rows_read = rows_loaded + rows_quarantined + rows_ignored AS reconciled
FROM batches ORDER BY table_name, path
