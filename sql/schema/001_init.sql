-- Canonical landing tables (docs/data-contract.md, "Tables"), bookkeeping and outputs.
-- Every canonical row carries its provenance: batch_id and source_line (the physical line in the
-- file where the record starts); columns a file carries beyond the contract are kept in `extra`.

CREATE TABLE accounts (
    account_id VARCHAR, agency VARCHAR, agency_kind VARCHAR,
    access_start DATE, access_end DATE, can_write BOOLEAN, work_hours VARCHAR,
    extra JSON, batch_id VARCHAR, source_line BIGINT
);
CREATE TABLE account_map (
    source VARCHAR, db_user VARCHAR, account_id VARCHAR,
    extra JSON, batch_id VARCHAR, source_line BIGINT
);
CREATE TABLE arrests (
    arrest_id VARCHAR, person_id VARCHAR, arrest_ts TIMESTAMPTZ, booking_id VARCHAR,
    extra JSON, batch_id VARCHAR, source_line BIGINT
);
CREATE TABLE charges (
    charge_id VARCHAR, person_id VARCHAR, booking_id VARCHAR, statute VARCHAR, grade VARCHAR,
    description VARCHAR, disposition VARCHAR, disposition_date DATE,
    extra JSON, batch_id VARCHAR, source_line BIGINT
);
CREATE TABLE detainers (
    detainer_id VARCHAR, person_id VARCHAR, booking_id VARCHAR, received_at TIMESTAMPTZ,
    form_type VARCHAR, attachments VARCHAR, action VARCHAR, action_at TIMESTAMPTZ,
    notice_sent_at TIMESTAMPTZ, judicial_warrant_signed_by VARCHAR,
    extra JSON, batch_id VARCHAR, source_line BIGINT
);
CREATE TABLE custody_events (
    event_id VARCHAR, person_id VARCHAR, booking_id VARCHAR, event_type VARCHAR, event_ts TIMESTAMPTZ,
    extra JSON, batch_id VARCHAR, source_line BIGINT
);
CREATE TABLE access_events (
    event_id VARCHAR, event_ts TIMESTAMPTZ, account_id VARCHAR, client_addr VARCHAR, action VARCHAR,
    subject_person_id VARCHAR, search_terms VARCHAR, case_number VARCHAR, purpose_code VARCHAR,
    result_count BIGINT, outcome VARCHAR, sequence_no BIGINT,
    source VARCHAR, source_action VARCHAR, statement VARCHAR, objects VARCHAR, session_id VARCHAR,
    extra JSON, batch_id VARCHAR, source_line BIGINT
);

-- One row per ingested file. rows_read = rows_loaded + rows_quarantined + rows_ignored.
CREATE TABLE batches (
    batch_id VARCHAR PRIMARY KEY, source VARCHAR, table_name VARCHAR, path VARCHAR, sha256 VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, rows_ignored BIGINT,
    ignored_reasons JSON, ingested_at TIMESTAMPTZ
);
CREATE TABLE quarantine (
    batch_id VARCHAR, line_no BIGINT, field VARCHAR, reason VARCHAR, raw VARCHAR
);

-- One row per expectation checked for a month; replaced when the month is validated again.
CREATE TABLE validation_runs (
    month VARCHAR, table_name VARCHAR, suite VARCHAR, expectation VARCHAR, blocking BOOLEAN,
    success BOOLEAN, observed VARCHAR, details VARCHAR
);

-- Flags (docs/data-contract.md, "Flags"); replaced per month on every evaluation.
CREATE TABLE flags (
    flag_id VARCHAR, rule_id VARCHAR, rule_version VARCHAR, category VARCHAR, severity VARCHAR,
    month VARCHAR, subject_type VARCHAR, subject_id VARCHAR, account_id VARCHAR, person_id VARCHAR,
    event_ts TIMESTAMPTZ, summary VARCHAR, evidence JSON
);

-- Append-only journal of pipeline steps (the only table that grows on an identical re-run).
CREATE TABLE run_log (
    run_id VARCHAR, step VARCHAR, month VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    status VARCHAR, detail VARCHAR
);
