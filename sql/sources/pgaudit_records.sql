-- PostgreSQL log entries (pg_log_entries, from csvlog or stderr) classified and, for pgaudit
-- records, split into the payload's fields: one row per entry, in pg_records. The entries are read
-- once (for csvlog, that read is the file's). What concerns only a few rows, a statement logged once
-- (pgaudit.log_statement_once) and entries without a session line number that repeat, is settled on
-- them afterwards (sql/sources/pgaudit_records_first_texts.sql, pgaudit_records_repeats.sql).
CREATE OR REPLACE TEMP TABLE pg_records AS
WITH heads AS (
    SELECT *,
           coalesce(session_id, process_id) AS session_key,
           regexp_extract(message, $audit_head_pattern) AS audit_head,
           regexp_extract(log_time, '^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)(?: (\S+))?$',
                          ['stamp', 'zone']) AS t
    FROM pg_log_entries),
-- A payload of the usual shape (the object unquoted, parameters not logged) is split at its known
-- ends and its statement field checked; any other goes through the whole pattern, whose groups are
-- slow to extract from long statements. `cut` is the length of ,<not logged>[,rows] at the end.
tails AS (
    SELECT *,
        CASE WHEN audit_head <> '' AND NOT ends_with(message, '>')
             THEN strlen(message) - strlen(rtrim(message, '0123456789')) END AS row_digits,
        CASE WHEN audit_head = '' THEN NULL
             WHEN ends_with(message, ',<not logged>') THEN 13
             WHEN row_digits > 0 AND ends_with(message[:-(row_digits + 1)], ',<not logged>,') THEN 14 + row_digits
        END AS cut,
        message[length(audit_head) + 1:-(cut + 1)] AS plain_statement,
        string_split(audit_head, ',') AS head_fields
    FROM heads),
entries AS (
    SELECT * EXCLUDE (audit_head, row_digits, cut, plain_statement, head_fields),
        CASE WHEN NOT (contains(plain_statement, ',') OR contains(plain_statement, '"'))
                  OR (strlen(plain_statement) >= 2 AND starts_with(plain_statement, '"')
                      AND ends_with(plain_statement, '"')
                      AND (NOT contains(plain_statement[2:-2], '"')
                           OR regexp_full_match(plain_statement, '"(?:[^"]|"")*"')))
             THEN struct_pack(
                 audit_type := head_fields[1][8:], statement_id := head_fields[2], substatement_id := head_fields[3],
                 audit_class := head_fields[4], command := head_fields[5], object_type := head_fields[6],
                 object_field := head_fields[7], statement_field := plain_statement,
                 parameter_field := '<not logged>', rows_field := CASE WHEN cut > 13 THEN message[-row_digits:] ELSE '' END)
             ELSE regexp_extract(message, $audit_pattern,
                 ['audit_type', 'statement_id', 'substatement_id', 'audit_class', 'command', 'object_type',
                  'object_field', 'statement_field', 'parameter_field', 'rows_field']) END AS a
    FROM tails),
classified AS (
    SELECT *,
        CASE
            WHEN state IS NOT NULL THEN 'reject'
            WHEN starts_with(message, 'AUDIT: ') AND a.audit_type <> '' THEN 'audit'
            WHEN starts_with(message, 'AUDIT: ') THEN 'malformed'
            WHEN starts_with(message, 'connection authorized: ') THEN 'login'
            WHEN starts_with(message, 'disconnection: ') THEN 'logout'
            WHEN error_severity = 'FATAL'
                 AND (sql_state_code LIKE '28%' OR regexp_matches(message, $auth_failure_pattern)) THEN 'login_failed'
            WHEN error_severity = 'ERROR'
                 AND (sql_state_code = '42501' OR starts_with(message, 'permission denied')) THEN 'denied'
            ELSE 'ignored'
        END AS kind
    FROM entries),
unquoted AS (
    -- pgaudit quotes a field (doubling inner quotes) only when it holds a comma, quote, CR or LF.
    SELECT *,
        CASE WHEN starts_with(a.object_field, '"')
             THEN replace(substr(a.object_field, 2, length(a.object_field) - 2), '""', '"')
             ELSE a.object_field END AS object_name,
        CASE
            WHEN kind = 'denied' THEN nullif(query, '')
            WHEN kind <> 'audit' OR a.statement_field IN ('<not logged>', '<previously logged>') THEN NULL
            WHEN starts_with(a.statement_field, '"')
            THEN replace(substr(a.statement_field, 2, length(a.statement_field) - 2), '""', '"')
            ELSE a.statement_field END AS logged_statement,
        -- Without a session line number (stderr without %c and %l), the id hashes the entry itself.
        CASE WHEN session_id IS NULL OR session_line_num IS NULL
             THEN md5(concat_ws('|', log_time, session_key, message))[:16] END AS entry_hash,
        a.statement_id, a.substatement_id
    FROM classified),
SELECT line_no, raw, kind,
    CASE WHEN kind IN ('reject', 'malformed') THEN 'reject' WHEN kind = 'ignored' THEN 'ignored' END AS state,
    CASE WHEN kind = 'malformed' THEN 'message'
         WHEN kind = 'reject' AND contains(reject_reason, 'log_line_prefix') THEN 'log_line_prefix' END AS reject_field,
    CASE WHEN kind = 'malformed' THEN 'not a well-formed pgaudit record' ELSE reject_reason END AS reject_reason,
    CASE WHEN kind <> 'ignored' THEN NULL
         WHEN starts_with(message, 'connection received: ') THEN 'connection received'
         WHEN error_severity IN ('DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'QUERY', 'LOCATION')
         THEN 'detail of the entry above'
         WHEN user_name IS NULL OR user_name = '' THEN 'server process message'
         ELSE lower(error_severity) || ' message without access' END AS ignore_reason,
    CASE WHEN entry_hash IS NULL THEN $source || ':' || session_id || ':' || session_line_num
         ELSE $source || ':' || entry_hash END AS event_id,
    entry_hash,
    -- A zone PostgreSQL names by offset or as UTC is kept; an abbreviation (EST, CEST) is read in --source-tz.
    CASE WHEN t.stamp = '' THEN log_time
         WHEN t.zone IN ('UTC', 'GMT', 'Z') THEN t.stamp || '+00'
         WHEN regexp_matches(t.zone, '^[+-]\d\d(:?\d\d)?$') THEN t.stamp || t.zone
         ELSE t.stamp END AS event_ts,
    coalesce(nullif(user_name, ''),
             CASE WHEN kind = 'login_failed' THEN nullif(regexp_extract(message, 'user "([^"]*)"', 1), '') END)
        AS account_id,
    nullif(client_addr, '') AS client_addr,
    CASE kind
        WHEN 'login' THEN 'login' WHEN 'logout' THEN 'logout' WHEN 'login_failed' THEN 'login_failed'
        WHEN 'audit' THEN CASE a.audit_class
            WHEN 'READ' THEN CASE WHEN a.command = 'COPY' THEN 'export' END
            WHEN 'WRITE' THEN CASE a.command WHEN 'INSERT' THEN 'insert' WHEN 'UPDATE' THEN 'update'
                WHEN 'DELETE' THEN 'delete' WHEN 'TRUNCATE TABLE' THEN 'delete' WHEN 'COPY' THEN 'insert'
                WHEN 'MERGE' THEN 'update' END
            WHEN 'DDL' THEN 'ddl' WHEN 'ROLE' THEN 'permission' WHEN 'FUNCTION' THEN 'execute'
            ELSE 'other' END
    END AS class_action,
    a.audit_class,
    CASE WHEN kind = 'audit' AND a.rows_field <> '' THEN a.rows_field END AS result_count,
    CASE WHEN kind IN ('login_failed', 'denied') THEN 'failure' WHEN kind IN ('audit', 'login', 'logout')
         THEN 'success' END AS outcome,
    session_line_num AS sequence_no,
    CASE kind WHEN 'audit' THEN a.command WHEN 'login' THEN 'connection authorized'
        WHEN 'logout' THEN 'disconnection' WHEN 'login_failed' THEN 'authentication failed'
        WHEN 'denied' THEN 'permission denied' END AS source_action,
    logged_statement AS statement,
    kind = 'audit' AND a.statement_field = '<previously logged>' AS previously_logged,
    nullif(object_name, '') AS object_name,
    session_key AS session_id,
    database_name, application_name,
    nullif(a.audit_type, '') AS audit_type, nullif(statement_id, '') AS statement_id,
    nullif(substatement_id, '') AS substatement_id, nullif(a.object_type, '') AS object_type,
    nullif(a.parameter_field, '') AS parameter,
    $source AS source, record_no, quoted_newlines
FROM unquoted
