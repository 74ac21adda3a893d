-- Access events with the account they resolve to (account_map first, by source and database user),
-- the account's attributes, local time, the client host without its port, the text the
-- pattern rules read (search terms, statement, tables touched) and the parsed statement's facts.
-- A database log can write several records for one statement (pgaudit one per relation, MariaDB
-- TABLE records beside their QUERY): they share source, session, instant and statement, and only
-- the first (a record pointing at another through extra.statement_ref comes later) is_primary, so
-- per-event rules flag the statement once. A record without a statement or a session shares with
-- no other (ingest quarantines a repeated event_id), so only the others go through the window:
-- a month of application logs would otherwise be sorted for nothing.
CREATE OR REPLACE TEMP VIEW repeated_statement_records AS
SELECT DISTINCT event_id FROM (
    SELECT e.event_id,
           row_number() OVER (
               PARTITION BY concat_ws('|', e.source, e.session_id, CAST(e.event_ts AS VARCHAR), e.statement)
               ORDER BY (e.extra ->> 'statement_ref') IS NOT NULL, e.batch_id, e.source_line) AS nth
    FROM evaluation_events e WHERE e.statement IS NOT NULL AND e.session_id IS NOT NULL)
WHERE nth > 1;

-- The parser's facts for each statement the events carry, found once per distinct statement
-- rather than by hashing the text of every record that carries it.
CREATE OR REPLACE TEMP VIEW evaluation_statements AS
SELECT s.statement, sa.parsed, sa.tables, sa.has_where, sa.filters_birthplace, sa.name_wildcard,
       sa.disables_audit, sa.touches_audit_tables
FROM (SELECT DISTINCT statement FROM evaluation_events WHERE statement IS NOT NULL) s
JOIN statement_analysis sa ON sa.statement_hash = statement_hash(s.statement);

-- An evaluation computes the two views above once for all its rules
-- (`computed_once` in compliance/rules/engine.py).
CREATE OR REPLACE TEMP VIEW access_enriched AS
WITH executions AS (
    SELECT e.*, r.event_id IS NULL AS is_primary
    FROM evaluation_events e LEFT JOIN repeated_statement_records r ON r.event_id = e.event_id
    WHERE e.statement IS NOT NULL AND e.session_id IS NOT NULL
    UNION ALL
    SELECT e.*, true AS is_primary
    FROM evaluation_events e WHERE e.statement IS NULL OR e.session_id IS NULL)
SELECT e.*,
       coalesce(m.account_id, e.account_id) AS resolved_account,
       a.account_id IS NOT NULL AS registered,
       a.agency, a.agency_kind, a.access_start, a.access_end,
       coalesce(a.can_write, false) AS can_write,
       coalesce(nullif(a.work_hours, ''), pack_setting('work_hours') ->> '$') AS work_hours,
       coalesce(a.work_windows, time_windows([pack_setting('work_hours') ->> '$'])) AS work_windows,
       local_time(e.event_ts) AS local_ts,
       -- The client program as the log names it (pgaudit, SQL Server; absent from server_audit).
       e.extra ->> 'application_name' AS application_name,
       CAST(local_time(e.event_ts) AS DATE) AS local_day,
       -- "10.1.2.3:52344" and "[::1]:5432" name the same host as "10.1.2.3" and "::1".
       CASE WHEN e.client_addr LIKE '[%]%' THEN regexp_extract(e.client_addr, '^\[([^\]]*)\]', 1)
            WHEN length(e.client_addr) - length(replace(e.client_addr, ':', '')) = 1
                THEN split_part(e.client_addr, ':', 1)
            ELSE e.client_addr END AS client_host,
       lower(coalesce(e.action, 'other')) AS action_norm,
       -- A lookup reads records: a parsed statement that touches no table (SELECT pg_reload_conf())
       -- is no lookup.
       lower(coalesce(e.action, '')) IN ('search', 'view', 'export')
           AND NOT coalesce(sa.parsed AND sa.tables IS NULL, false) AS is_lookup,
       lower(concat_ws(' ', e.search_terms, e.statement, e.objects)) AS pattern_text,
       -- What the SQL parser found in the statement (NULL where there is none or it could not parse).
       sa.tables AS statement_tables, sa.has_where, sa.filters_birthplace, sa.name_wildcard,
       sa.disables_audit, sa.touches_audit_tables
FROM executions e
LEFT JOIN account_map m ON m.source = e.source AND m.db_user = e.account_id
LEFT JOIN (SELECT *, time_windows([coalesce(nullif(work_hours, ''), pack_setting('work_hours') ->> '$')]) AS work_windows
           FROM accounts) a ON a.account_id = coalesce(m.account_id, e.account_id)
LEFT JOIN evaluation_statements sa ON sa.statement = e.statement;
