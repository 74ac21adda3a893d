-- What the review app's queue shows and filters each flag of a published version by, beside its
-- decision: when (local time, as the reports show it), what it is about, whose account, and the
-- person it names (for the app's access log). $flags: the export's path.
SELECT flag_id, severity, subject_type, subject_id, account_id, person_id, event_local, summary
FROM read_parquet($flags)
