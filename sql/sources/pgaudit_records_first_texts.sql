-- With pgaudit.log_statement_once a statement's text comes only with its first record: the records
-- marked <previously logged> take the text of the first record of the same session, statement and
-- substatement.
UPDATE pg_records r SET statement = f.first_text
FROM (SELECT session_id, statement_id, substatement_id, arg_min(statement, line_no) AS first_text
      FROM pg_records
      WHERE statement IS NOT NULL
        AND (session_id, statement_id, substatement_id) IN (
            SELECT (session_id, statement_id, substatement_id) FROM pg_records WHERE previously_logged)
      GROUP BY ALL) f
WHERE r.previously_logged AND r.session_id = f.session_id AND r.statement_id IS NOT DISTINCT FROM f.statement_id
  AND r.substatement_id IS NOT DISTINCT FROM f.substatement_id
