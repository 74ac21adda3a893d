-- A PostgreSQL csvlog file, every field as text: 23 to 26 columns by server version, no header.
-- Unreadable records go to DuckDB's reject_errors with their record number.
CREATE OR REPLACE TEMP TABLE pg_csv_read AS
SELECT * FROM read_csv($path, header = false, auto_detect = false, columns = $columns,
    delim = ',', quote = '"', escape = '"', store_rejects = true, strict_mode = true,
    max_line_size = $max_line_size, encoding = 'utf-8')
