-- Late files and re-runs (docs/data-quality.md, "Late files and re-runs").
-- A month counts as reported from its first report on; a file whose rows bear on a reported month
-- arrived late: it is loaded like any other, listed in late_batches, and its months wait in
-- rerun_needed until they are reported again.
CREATE TABLE month_reports (
    month VARCHAR PRIMARY KEY, first_reported_at TIMESTAMPTZ
);
CREATE TABLE late_batches (
    batch_id VARCHAR, month VARCHAR, table_name VARCHAR, path VARCHAR, rows_bearing BIGINT,
    ingested_at TIMESTAMPTZ, month_first_reported_at TIMESTAMPTZ,
    PRIMARY KEY (batch_id, month)
);
CREATE TABLE rerun_needed (
    month VARCHAR PRIMARY KEY, since TIMESTAMPTZ
);
