-- csvlog records numbered: pg_records holds them in the reader's order, so a record's number follows
-- from its row, and it starts on line record_no + the newlines quoted in the records before it, its
-- physical line unless the reader rejected records (sql/sources/pgaudit_csvlog_placed.sql then
-- places every record).
UPDATE pg_records p SET record_no = n.record_no, line_no = n.record_no + n.newlines_before
FROM (SELECT rowid AS row_id, row_number() OVER () AS record_no,
             sum(quoted_newlines) OVER (ROWS UNBOUNDED PRECEDING) - quoted_newlines AS newlines_before
      FROM pg_records) n
WHERE p.rowid = n.row_id
