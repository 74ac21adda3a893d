-- The pgaudit records (pg_records) as the loader's raw_records, once their statements are analysed:
-- the payload's class and command decide the action where they can; the statement's analysis (one
-- per distinct statement) fills in the rest. A view: the loader's reads of it join pg_records with
-- the few distinct statements, nothing is copied.
CREATE OR REPLACE TEMP VIEW raw_records AS
SELECT r.line_no, r.raw, r.state, r.reject_field, r.reject_reason, r.ignore_reason,
    r.event_id, r.event_ts, r.account_id, r.client_addr,
    CASE WHEN r.state IS NOT NULL THEN NULL
         WHEN r.class_action IS NOT NULL THEN r.class_action
         WHEN r.audit_class = 'READ' OR r.kind = 'denied' THEN
              CASE WHEN s.action IN ('search', 'view', 'export') THEN s.action
                   WHEN r.kind = 'denied' THEN coalesce(s.action, 'other') ELSE 'search' END
         -- A WRITE record whose command names no write (PREPARE, EXECUTE) writes what its
         -- statement writes, as MariaDB's WRITE records do.
         WHEN r.audit_class = 'WRITE' THEN
              CASE WHEN s.action IN ('insert', 'update', 'delete') THEN s.action ELSE 'update' END
         ELSE coalesce(s.action, 'other') END AS action,
    s.subject_person_id, s.where_clause AS search_terms, s.case_number, s.purpose_code,
    r.result_count, r.outcome, r.sequence_no, r.source, r.source_action, r.statement,
    coalesce(r.object_name, s.tables) AS objects, r.session_id,
    r.database_name, r.application_name, r.audit_type, r.audit_class, r.statement_id,
    r.substatement_id, r.object_type, r.object_name, r.parameter
FROM pg_records r
LEFT JOIN (SELECT * FROM staged_statements JOIN statement_analysis USING (statement_hash)) s USING (statement)
