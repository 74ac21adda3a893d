-- A MariaDB server_audit file log, one record per physical line:
-- timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode
-- (newer servers append the connection type to connection records). A QUERY's object is its SQL
-- text in single quotes with \b \t \n \f \r \' \\ escaped; TABLE records (READ, WRITE, CREATE, ALTER,
-- RENAME, DROP) come before the QUERY with the same connection and query id.
CREATE OR REPLACE TEMP TABLE mariadb_records AS
WITH lines AS (
    SELECT i AS line_no, regexp_replace(parts[i], '\r$', '') AS line
    FROM (SELECT string_split(content, chr(10)) AS parts FROM read_text($path)) f,
         generate_series(1, len(parts)) g(i)),
fields AS (
    SELECT line_no, line,
        regexp_extract(line,
            '^(\d{8} \d{2}:\d{2}:\d{2}),([^,]*),([^,]*),([^,]*),(\d+),(\d+),([A-Z_]+),([^,]*),'
            || '(''(?:[^''\\]|\\.)*''|[^,'']*),(-?\d*)(?:,([A-Za-z/_ ]*))?$',
            ['stamp', 'server_host', 'username', 'host', 'connection_id', 'query_id', 'operation',
             'database_name', 'object', 'retcode', 'connection_type']) AS f
    FROM lines
    -- The final newline of a file leaves one empty last line, which is no record.
    WHERE NOT (line = '' AND line_no = (SELECT max(line_no) FROM lines))),
classified AS (
    SELECT *,
        CASE WHEN line = '' THEN 'blank'
             WHEN f.stamp = '' THEN 'malformed'
             WHEN f.operation = 'QUERY' THEN 'query'
             WHEN f.operation IN ('READ', 'WRITE', 'CREATE', 'ALTER', 'RENAME', 'DROP') THEN 'table'
             ELSE 'connection' END AS kind,
        CASE WHEN f.operation = 'QUERY' AND starts_with(f.object, '''') THEN substr(f.object, 2, length(f.object) - 2)
        END AS escaped
    FROM fields),
unescaped AS (
    SELECT *,
        CASE WHEN escaped IS NULL OR NOT contains(escaped, '\') THEN escaped
             ELSE array_to_string(list_transform(regexp_extract_all(escaped, '\\.|[^\\]+'), lambda t:
                  CASE WHEN starts_with(t, '\') AND length(t) = 2 THEN
                       CASE t[2] WHEN 'b' THEN chr(8) WHEN 't' THEN chr(9) WHEN 'n' THEN chr(10)
                                 WHEN 'f' THEN chr(12) WHEN 'r' THEN chr(13) ELSE t[2] END
                       ELSE t END), '') END AS query_text,
        md5(concat_ws('|', f.stamp, f.server_host, f.connection_id, f.query_id, f.operation,
                      f.database_name, f.object)) [:16] AS record_hash
    FROM classified),
identified AS (
    SELECT *,
        $source || ':' || record_hash ||
            CASE WHEN row_number() OVER (PARTITION BY record_hash ORDER BY line_no) > 1
                 THEN '#' || row_number() OVER (PARTITION BY record_hash ORDER BY line_no) ELSE '' END
            AS event_id
    FROM unescaped),
linked AS (
    -- A TABLE record belongs to the next QUERY record of its connection with the same query id.
    SELECT *,
        CASE WHEN kind IN ('query', 'table') THEN first_value(CASE WHEN kind = 'query' THEN line_no END IGNORE NULLS)
            OVER (PARTITION BY f.server_host, f.connection_id, f.query_id ORDER BY line_no
                  ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) END AS query_line
    FROM identified),
queries AS (
    SELECT line_no AS query_line, event_id AS query_event_id, query_text AS query_statement,
           f.retcode AS query_retcode
    FROM linked WHERE kind = 'query'),
touched AS (
    -- In name order, whatever order the server wrote its TABLE records in.
    SELECT query_line, string_agg(DISTINCT table_name, ';' ORDER BY table_name) AS tables
    FROM (SELECT query_line,
                 lower(CASE WHEN f.database_name <> '' THEN f.database_name || '.' ELSE '' END || f.object) AS table_name
          FROM linked WHERE kind = 'table' AND query_line IS NOT NULL
            -- The server reads its optimizer statistics on a table's first use: not what the query asked for.
            AND NOT (f.database_name = 'mysql' AND f.object IN ('table_stats', 'column_stats', 'index_stats')))
    GROUP BY query_line)
SELECT l.line_no, l.line AS raw, l.kind,
    CASE WHEN l.kind = 'blank' THEN 'ignored' WHEN l.kind = 'malformed' THEN 'reject' END AS state,
    CASE WHEN l.kind = 'malformed' THEN 'not a server_audit record' END AS reject_reason,
    CASE WHEN l.kind = 'blank' THEN 'blank line' END AS ignore_reason,
    l.event_id,
    substr(l.f.stamp, 1, 4) || '-' || substr(l.f.stamp, 5, 2) || '-' || substr(l.f.stamp, 7, 2)
        || substr(l.f.stamp, 9) AS event_ts,
    nullif(l.f.username, '') AS account_id,
    nullif(regexp_replace(l.f.host, '^([^:]+):\d+$', '\1'), '') AS client_addr,
    l.f.operation AS operation,
    coalesce(nullif(l.f.retcode, ''), q.query_retcode) AS retcode,
    CASE WHEN l.kind = 'query' THEN l.query_text ELSE q.query_statement END AS statement,
    CASE WHEN l.kind = 'table' THEN lower(CASE WHEN l.f.database_name <> '' THEN l.f.database_name || '.' ELSE '' END
                                          || l.f.object)
         WHEN l.kind = 'query' THEN t.tables END AS table_objects,
    nullif(l.f.connection_id, '') AS session_id,
    nullif(l.f.database_name, '') AS database_name, nullif(l.f.server_host, '') AS server_host,
    nullif(l.f.query_id, '') AS query_id, nullif(l.f.connection_type, '') AS connection_type,
    l.kind AS record_kind, q.query_event_id AS statement_ref
FROM linked l
LEFT JOIN queries q USING (query_line)
LEFT JOIN touched t USING (query_line)
