-- Database audit sources. statement_analysis: what the rules need to know about a SQL statement seen
-- in a database audit log, computed once per distinct normalised statement with a real SQL parser
-- (compliance/sources/statements.py).
-- An access event finds its analysis through `statement_hash(access_events.statement)`.
-- Documented column by column in docs/log-formats.md.

-- Normalising only collapses whitespace: literals, comments and case carry meaning (ids, case numbers).
CREATE MACRO statement_hash(statement) AS md5(regexp_replace(trim(statement), '\s+', ' ', 'g'));

CREATE TABLE statement_analysis (
    statement_hash VARCHAR PRIMARY KEY,
    dialect VARCHAR,              -- the SQL dialect it was parsed with (postgres, mysql, tsql)
    parsed BOOLEAN,               -- false: the parser could not read it; the facts below are then NULL
    action VARCHAR,               -- access_events.action the statement implies
    tables VARCHAR,               -- semicolon list of tables touched, lower case, as written (schema.table)
    has_where BOOLEAN,            -- a WHERE clause anywhere; NULL for statements that touch no table
    where_clause VARCHAR,         -- the outermost WHERE condition as SQL text
    filters_birthplace BOOLEAN,   -- filters, joins, groups or sorts on birthplace, nationality or citizenship
    name_wildcard BOOLEAN,        -- LIKE / ILIKE / SIMILAR TO with a wildcard on a name column
    disables_audit BOOLEAN,       -- switches database auditing off or narrows it
    touches_audit_tables BOOLEAN, -- reads or changes a table whose schema or name contains "audit"
    subject_person_id VARCHAR,    -- the one person id literal the statement filters on, else NULL
    case_number VARCHAR,          -- from a /* case=... purpose=... */ comment
    purpose_code VARCHAR
);

-- Where each live pull (compliance pull) stopped: the (event_ts, event_id) of the last event it
-- loaded, so the next pull starts after it. Updated only after the pulled batch is committed.
CREATE TABLE pull_watermarks (
    source VARCHAR PRIMARY KEY, last_event_ts TIMESTAMPTZ, last_event_id VARCHAR, batch_id VARCHAR,
    updated_at TIMESTAMPTZ
);
