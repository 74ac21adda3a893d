-- Every csvlog record's physical line, when the reader rejected records or a newline is quoted outside
-- the free text (pg_log_entries numbers the records assuming neither): each record, accepted or
-- rejected, takes its record number and starts on that number + the newlines quoted in the records
-- before it. The file is read again for this, skipping the records the first read rejected; the
-- rejected ones join pg_records as rejects.
CREATE OR REPLACE TEMP TABLE pg_records AS
WITH accepted AS (
    SELECT row_number() OVER () AS record_no, concat_ws('', *COLUMNS(*)) AS all_text
    FROM read_csv(getvariable('pgaudit_csvlog').path, header = false, auto_detect = false,
        columns = getvariable('pgaudit_csvlog').columns, delim = ',', quote = '"', escape = '"',
        ignore_errors = true, strict_mode = true, max_line_size = getvariable('pgaudit_csvlog').max_line_size,
        buffer_size = getvariable('pgaudit_csvlog').buffer_size,
        encoding = 'utf-8')),
rejects AS (
    SELECT line AS rec, any_value(csv_line) AS raw,
           arg_min(error_type || ': ' || error_message, column_idx) AS reason
    FROM reject_errors GROUP BY line),
free_slots AS (
    SELECT s AS rec, row_number() OVER (ORDER BY s) AS record_no
    FROM range(1, (SELECT count(*) FROM accepted) + (SELECT count(*) FROM rejects) + 1) r(s)
    WHERE s NOT IN (SELECT rec FROM rejects)),
records AS (
    SELECT f.rec, a.record_no, strlen(a.all_text) - strlen(replace(a.all_text, chr(10), '')) AS nl
    FROM accepted a JOIN free_slots f USING (record_no)
    UNION ALL
    SELECT rec, NULL, strlen(raw) - strlen(replace(raw, chr(10), '')) FROM rejects),
lines AS (
    SELECT rec, record_no,
           rec + coalesce(sum(nl) OVER (ORDER BY rec ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS line_no
    FROM records)
SELECT p.* REPLACE (l.line_no AS line_no) FROM pg_records p JOIN lines l USING (record_no)
UNION ALL BY NAME
SELECT l.line_no, r.raw, 'reject' AS kind, 'reject' AS state, r.reason AS reject_reason
FROM rejects r JOIN lines l USING (rec)
ORDER BY line_no
