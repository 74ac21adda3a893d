-- server_audit records (mariadb_records) as the loader's raw_records, once their statements are
-- analysed. A QUERY's action comes from its statement's analysis; a TABLE record's from its
-- operation, refined by the statement it belongs to.
CREATE OR REPLACE TEMP TABLE raw_records AS
SELECT r.line_no, r.raw, r.state, NULL::VARCHAR AS reject_field, r.reject_reason, r.ignore_reason,
    r.event_id, r.event_ts, r.account_id, r.client_addr,
    CASE WHEN r.state IS NOT NULL THEN NULL
         WHEN r.operation = 'CONNECT' OR r.operation = 'PROXY_CONNECT' OR r.operation = 'CHANGEUSER' THEN
              CASE WHEN r.retcode = '0' THEN 'login' ELSE 'login_failed' END
         WHEN r.operation = 'FAILED_CONNECT' THEN 'login_failed'
         WHEN r.operation = 'DISCONNECT' THEN 'logout'
         WHEN r.operation = 'READ' THEN CASE WHEN s.action IN ('search', 'view', 'export') THEN s.action ELSE 'search' END
         WHEN r.operation = 'WRITE' THEN CASE WHEN s.action IN ('insert', 'update', 'delete') THEN s.action ELSE 'update' END
         WHEN r.record_kind = 'table' THEN 'ddl'
         ELSE coalesce(s.action, 'other') END AS action,
    s.subject_person_id, s.where_clause AS search_terms, s.case_number, s.purpose_code,
    NULL::VARCHAR AS result_count,
    CASE WHEN r.state IS NOT NULL THEN NULL WHEN r.operation = 'FAILED_CONNECT' OR r.retcode NOT IN ('', '0')
         THEN 'failure' ELSE 'success' END AS outcome,
    NULL::VARCHAR AS sequence_no, $source AS source, r.operation AS source_action, r.statement,
    coalesce(r.table_objects, s.tables) AS objects, r.session_id,
    r.database_name, r.server_host, r.query_id, r.retcode, r.connection_type, r.record_kind, r.statement_ref
FROM mariadb_records r
LEFT JOIN staged_statements USING (statement)
LEFT JOIN statement_analysis s USING (statement_hash)
