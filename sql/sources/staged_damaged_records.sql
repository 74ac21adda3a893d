-- The staged records that damaged lines belong to (damaged_lines: compliance/sources/staging.py),
-- rejected for quarantine: a record runs from its own line to the line before the next record's,
-- and takes its first damaged line's reason and the text of its damaged lines as `raw`.
UPDATE raw_records SET state = 'reject', reject_field = NULL, reject_reason = d.reason, raw = d.raw
FROM (
    WITH spans AS (
        SELECT line_no, lead(line_no) OVER (ORDER BY line_no) AS next_line
        FROM (SELECT DISTINCT line_no FROM raw_records))
    SELECT s.line_no, arg_min(d.reason, d.line_no) AS reason,
           string_agg(d.raw, chr(10) ORDER BY d.line_no) AS raw
    FROM spans s JOIN damaged_lines d
        ON d.line_no >= s.line_no AND (s.next_line IS NULL OR d.line_no < s.next_line)
    GROUP BY s.line_no) d
WHERE raw_records.line_no = d.line_no
