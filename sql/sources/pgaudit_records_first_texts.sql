-- With pgaudit.log_statement_once a statement's text comes only with its first record: a record
-- marked <previously logged> takes the text of the nearest earlier record of the same backend,
-- statement and substatement, in the order the server wrote them. Without %c a backend is known by
-- its pid, which the server reuses; the nearest earlier text is the one its own backend logged
-- (statement ids restart in a new backend, and its first record of a statement carries the text).
UPDATE pg_records r SET statement = f.text
FROM (SELECT p.line_no, t.statement AS text
      FROM (SELECT line_no, session_id, statement_id, substatement_id FROM pg_records WHERE previously_logged) p
      ASOF JOIN (SELECT line_no, session_id, statement_id, substatement_id, statement FROM pg_records
                 WHERE statement IS NOT NULL AND statement_id IS NOT NULL) t
        ON p.session_id = t.session_id AND p.statement_id = t.statement_id
       AND p.substatement_id IS NOT DISTINCT FROM t.substatement_id AND p.line_no > t.line_no) f
WHERE r.line_no = f.line_no
