-- A stderr log (log_line_prefix + severity + ':  ' + message) in the shape shared with the csvlog
-- reader. PostgreSQL writes a tab after every newline inside a message, so a physical line that
-- starts with a tab, or does not start with the prefix and a severity, continues the entry above
-- it (multi-line statements); entries are rejoined with their newlines and without those tabs.
-- A line that starts with a time stamp but not with the prefix (`unreadable`) is an entry of its own
-- that the prefix cannot read: it is quarantined, never absorbed into the entry above.
CREATE OR REPLACE TEMP TABLE pg_log_entries AS
WITH lines AS (
    SELECT line_no, line, matches, NOT matches AND NOT tabbed AND stamped AS unreadable,
           NOT tabbed AND (matches OR stamped) AS starts
    FROM (SELECT i AS line_no, parts[i] AS line, starts_with(parts[i], chr(9)) AS tabbed,
                 regexp_matches(parts[i], $start_pattern) AS matches,
                 regexp_matches(parts[i], $stamp_pattern) AS stamped
          FROM (SELECT string_split(content, chr(10)) AS parts FROM read_text($path)) f,
               generate_series(1, len(parts)) g(i)
          -- The final newline of a file leaves one empty last line, which is no line of the log.
          WHERE NOT (i = len(parts) AND parts[i] = ''))),
grouped AS (
    SELECT line_no, unreadable,
           CASE WHEN NOT starts AND starts_with(line, chr(9)) THEN substr(line, 2) ELSE line END AS line,
           sum(starts::INTEGER) OVER (ORDER BY line_no) AS entry
    FROM lines),
entries AS (
    SELECT entry, min(line_no) AS line_no, string_agg(line, chr(10) ORDER BY line_no) AS text,
           bool_or(unreadable) AS unreadable
    FROM grouped GROUP BY entry),
fields AS (
    SELECT entry, line_no, text, unreadable,
           regexp_extract(text, $entry_pattern, $field_names) AS f
    FROM entries),
parsed AS (
    SELECT line_no, text,
           nullif(trim(f.log_time), '') AS log_time, nullif(trim(f.user_name), '') AS user_name,
           nullif(trim(f.database_name), '') AS database_name, nullif(trim(f.process_id), '') AS process_id,
           nullif(regexp_replace(trim(coalesce(nullif(f.connection_from, ''), f.remote_host)), '\(\d+\)$', ''), '')
               AS client_addr,
           nullif(trim(f.session_id), '') AS session_id, nullif(trim(f.session_line_num), '') AS session_line_num,
           nullif(trim(f.command_tag), '') AS command_tag, f.error_severity,
           nullif(trim(f.sql_state_code), '') AS sql_state_code, f.message,
           nullif(trim(f.application_name), '') AS application_name,
           entry = 0 AS before_first_entry, unreadable
    FROM fields)
SELECT line_no, text AS raw,
       -- Each entry's line is known exactly; the csvlog reader's record numbering does not apply.
       NULL::BIGINT AS record_no, NULL::BIGINT AS quoted_newlines,
       CASE WHEN before_first_entry OR unreadable THEN 'reject' END AS state,
       CASE WHEN unreadable THEN 'a log entry the log_line_prefix does not match'
            WHEN before_first_entry THEN 'line before the first log entry (does the log_line_prefix match?)'
       END AS reject_reason,
       log_time, user_name, database_name, process_id, client_addr, session_id, session_line_num,
       command_tag, error_severity, sql_state_code, message,
       -- An ERROR's statement follows it as a STATEMENT entry of the same session.
       CASE WHEN lead(error_severity) OVER w = 'STATEMENT' THEN lead(message) OVER w END AS query,
       application_name
FROM parsed
WINDOW w AS (PARTITION BY coalesce(session_id, process_id) ORDER BY line_no)
