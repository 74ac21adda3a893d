-- An entry identified by its hash (no session line number) that repeats an earlier one in the file
-- takes its place among them as #2, #3, ... in the id.
UPDATE pg_records r SET event_id = r.event_id || '#' || n.repeat_no
FROM (SELECT line_no, row_number() OVER (PARTITION BY entry_hash ORDER BY line_no) AS repeat_no
      FROM pg_records WHERE entry_hash IS NOT NULL) n
WHERE r.line_no = n.line_no AND n.repeat_no > 1
