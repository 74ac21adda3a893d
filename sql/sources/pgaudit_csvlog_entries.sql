-- csvlog records in the shape shared with the stderr reader (pg_log_entries), as a view over DuckDB's
-- reader: sql/sources/pgaudit_records.sql reads the file once, through it, in parallel and in file
-- order; the records are numbered afterwards (sql/sources/pgaudit_csvlog_numbers.sql), since numbering
-- them here would read the file on one thread. Every field is text; 23 to 26 columns by server
-- version, no header. Unreadable records go to DuckDB's reject_errors with their record number.
CREATE OR REPLACE TEMP VIEW pg_log_entries AS
WITH csv AS (
    SELECT -- Only free text holds newlines; sql/sources/pgaudit_csvlog_numbered.sql checks the total
           -- against the file.
           CASE WHEN contains(message, chr(10)) THEN strlen(message) - strlen(replace(message, chr(10), '')) ELSE 0 END
           + CASE WHEN contains(detail, chr(10)) THEN strlen(detail) - strlen(replace(detail, chr(10), '')) ELSE 0 END
           + CASE WHEN contains(hint, chr(10)) THEN strlen(hint) - strlen(replace(hint, chr(10), '')) ELSE 0 END
           + CASE WHEN contains(internal_query, chr(10))
                  THEN strlen(internal_query) - strlen(replace(internal_query, chr(10), '')) ELSE 0 END
           + CASE WHEN contains(context, chr(10)) THEN strlen(context) - strlen(replace(context, chr(10), '')) ELSE 0 END
           + CASE WHEN contains(query, chr(10)) THEN strlen(query) - strlen(replace(query, chr(10), '')) ELSE 0 END
               AS quoted_newlines,
           *
    FROM read_csv(getvariable('pgaudit_csvlog').path, header = false, auto_detect = false,
        columns = getvariable('pgaudit_csvlog').columns, delim = ',', quote = '"', escape = '"',
        store_rejects = true, strict_mode = true, max_line_size = getvariable('pgaudit_csvlog').max_line_size,
        buffer_size = getvariable('pgaudit_csvlog').buffer_size,
        encoding = 'utf-8'))
SELECT NULL::BIGINT AS record_no, quoted_newlines, NULL::BIGINT AS line_no,
       message AS raw, NULL::VARCHAR AS state, NULL::VARCHAR AS reject_reason,
       log_time, user_name, database_name, process_id,
       regexp_replace(connection_from, ':\d+$', '') AS client_addr,
       session_id, session_line_num, command_tag, error_severity, sql_state_code, message,
       query, application_name
FROM csv
