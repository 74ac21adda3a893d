-- The csvlog file that pg_log_entries reads (sql/sources/pgaudit_csvlog_entries.sql): a view takes no
-- parameters, so its reader's arguments are set here.
SET VARIABLE pgaudit_csvlog = {'path': $path, 'columns': $columns, 'max_line_size': $max_line_size,
                              'buffer_size': $buffer_size}
