-- SQL Server Audit records exported as CSV from sys.fn_get_audit_file (staged in raw_records, one
-- text column per header column, absent optional columns added empty) as the loader's raw_records,
-- once their statements are analysed. event_time is UTC by definition; a value that carries an
-- offset keeps it.
CREATE OR REPLACE TEMP TABLE raw_records AS
WITH records AS (
    SELECT *,
        upper(trim(action_id)) AS code,
        coalesce(nullif(trim(session_server_principal_name), ''), nullif(trim(server_principal_name), ''),
                 -- A failed login with no user name (password spraying) is still a failed login.
                 CASE WHEN upper(trim(action_id)) = 'LGIF' THEN '(empty)' END) AS principal,
        -- Only an IPv4 or IPv6 address is a client address: the client_ip column, else the host_name
        -- column, else the `[CLIENT: ...]` the server wrote into the event text; never
        -- `<local machine>` or a host name (host_name stays in extra).
        list_filter([trim(client_ip), trim(host_name), regexp_extract(statement, '\[CLIENT: ([^\]]*)\]', 1)],
                    lambda a: regexp_full_match(coalesce(a, ''),
                        '\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}(%\S+)?'))[1] AS address,
        CASE WHEN file_name IS NOT NULL AND audit_file_offset IS NOT NULL
             THEN md5(concat_ws('|', file_name, audit_file_offset, sequence_number, event_time, action_id))[:16]
             ELSE md5(raw)[:16] END AS record_hash
    FROM raw_records),
identified AS (
    SELECT *,
        $source || ':' || record_hash ||
            CASE WHEN row_number() OVER (PARTITION BY record_hash ORDER BY line_no) > 1
                 THEN '#' || row_number() OVER (PARTITION BY record_hash ORDER BY line_no) ELSE '' END AS id
    FROM records)
SELECT r.line_no, r.raw, r.state, r.reject_field, r.reject_reason, NULL::VARCHAR AS ignore_reason,
    r.id AS event_id,
    CASE WHEN regexp_matches(trim(r.event_time), '^\d{4}-\d\d-\d\d[ T][0-9:.]+$') THEN trim(r.event_time) || '+00'
         ELSE trim(r.event_time) END AS event_ts,
    r.principal AS account_id,
    r.address AS client_addr,
    CASE r.code
        WHEN 'LGIS' THEN 'login' WHEN 'LGIF' THEN 'login_failed' WHEN 'LGO' THEN 'logout'
        WHEN 'SL' THEN CASE WHEN s.action IN ('search', 'view', 'export') THEN s.action ELSE 'search' END
        WHEN 'IN' THEN 'insert' WHEN 'UP' THEN 'update' WHEN 'DL' THEN 'delete' WHEN 'EX' THEN 'execute'
        -- CREATE/ALTER/DROP of a login, user or role changes who may do what (as CREATE ROLE does).
        WHEN 'CR' THEN CASE WHEN s.action = 'permission' THEN 'permission' ELSE 'ddl' END
        WHEN 'AL' THEN CASE WHEN s.action = 'permission' THEN 'permission' ELSE 'ddl' END
        WHEN 'DR' THEN CASE WHEN s.action = 'permission' THEN 'permission' ELSE 'ddl' END
        WHEN 'G' THEN 'permission' WHEN 'GWG' THEN 'permission' WHEN 'R' THEN 'permission'
        WHEN 'D' THEN 'permission' WHEN 'APRL' THEN 'permission' WHEN 'DPRL' THEN 'permission'
        ELSE coalesce(s.action, 'other') END AS action,
    s.subject_person_id, s.where_clause AS search_terms, s.case_number, s.purpose_code,
    coalesce(nullif(trim(r.affected_rows), ''), nullif(trim(r.response_rows), '')) AS result_count,
    CASE WHEN lower(trim(r.succeeded)) IN ('1', 'true') THEN 'success'
         WHEN lower(trim(r.succeeded)) IN ('0', 'false') THEN 'failure' END AS outcome,
    NULL::VARCHAR AS sequence_no, $source AS source, r.code AS source_action, nullif(r.statement, '') AS statement,
    coalesce(lower(nullif(concat_ws('.', nullif(trim(r.schema_name), ''), nullif(trim(r.object_name), '')), '')),
             s.tables) AS objects,
    nullif(trim(r.session_id), '') AS session_id,
    nullif(trim(r.database_name), '') AS database_name, nullif(trim(r.class_type), '') AS class_type,
    nullif(trim(r.host_name), '') AS host_name,
    nullif(trim(r.server_principal_name), '') AS server_principal_name,
    nullif(trim(r.database_principal_name), '') AS database_principal_name,
    nullif(trim(r.application_name), '') AS application_name,
    nullif(trim(r.sequence_number), '') AS sequence_number,
    nullif(trim(r.transaction_id), '') AS transaction_id
FROM identified r
LEFT JOIN staged_statements st ON st.statement = nullif(r.statement, '')
LEFT JOIN statement_analysis s ON s.statement_hash = st.statement_hash
