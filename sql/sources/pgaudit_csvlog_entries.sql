-- csvlog records in the shape shared with the stderr reader (pg_log_entries), each with the physical
-- line where it starts: 1 + the records before it + the newlines quoted inside them.
CREATE OR REPLACE TEMP TABLE pg_log_entries AS
WITH texts AS (
    SELECT rowid - (SELECT min(rowid) FROM pg_csv_read) + 1 AS k, concat_ws('', *COLUMNS(*)) AS all_text, *
    FROM pg_csv_read),
accepted AS (
    SELECT strlen(all_text) - strlen(replace(all_text, chr(10), '')) AS nl, * EXCLUDE (all_text) FROM texts),
rejects AS (
    SELECT line AS rec, any_value(csv_line) AS raw,
           arg_min(error_type || ': ' || error_message, column_idx) AS reason
    FROM reject_errors GROUP BY line),
free_slots AS (
    SELECT s AS rec, row_number() OVER (ORDER BY s) AS k
    FROM range(1, (SELECT count(*) FROM accepted) + (SELECT count(*) FROM rejects) + 1) r(s)
    WHERE s NOT IN (SELECT rec FROM rejects)),
numbered AS (
    SELECT f.rec, a.* EXCLUDE (k) FROM accepted a JOIN free_slots f USING (k)),
lines AS (
    SELECT rec, rec + coalesce(sum(nl) OVER (ORDER BY rec ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
               AS line_no
    FROM (SELECT rec, nl FROM numbered
          UNION ALL
          SELECT rec, length(raw) - length(replace(raw, chr(10), '')) FROM rejects))
SELECT l.line_no, n.message AS raw, NULL::VARCHAR AS state, NULL::VARCHAR AS reject_reason,
       n.log_time, n.user_name, n.database_name, n.process_id,
       regexp_replace(n.connection_from, ':\d+$', '') AS client_addr,
       n.session_id, n.session_line_num, n.command_tag, n.error_severity, n.sql_state_code, n.message,
       n.query, n.application_name
FROM numbered n JOIN lines l USING (rec)
UNION ALL BY NAME
SELECT l.line_no, r.raw, 'reject' AS state, r.reason AS reject_reason
FROM rejects r JOIN lines l USING (rec)
