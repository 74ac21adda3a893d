-- Whether pg_log_entries numbered every csvlog record at its physical line: no record was rejected and
-- the file's $lines are its records plus the newlines quoted in their free text.
SELECT NOT EXISTS (SELECT 1 FROM reject_errors)
       AND $lines = (SELECT count(*) + coalesce(sum(quoted_newlines), 0) FROM pg_records)
