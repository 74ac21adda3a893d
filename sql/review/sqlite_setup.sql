-- The SQLite store after the create_*.sql: WAL lets a reviewer write while readers read; the
-- triggers refuse any UPDATE or DELETE of decisions, sign-offs and exceptions, so their history is
-- append-only whoever opens the file.
PRAGMA journal_mode = WAL;
CREATE TRIGGER IF NOT EXISTS decisions_never_updated BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: decisions are never updated'); END;
CREATE TRIGGER IF NOT EXISTS decisions_never_deleted BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: decisions are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS signoffs_never_updated BEFORE UPDATE ON signoffs
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: sign-offs are never updated'); END;
CREATE TRIGGER IF NOT EXISTS signoffs_never_deleted BEFORE DELETE ON signoffs
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: sign-offs are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS exceptions_never_updated BEFORE UPDATE ON exceptions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: exceptions are never updated'); END;
CREATE TRIGGER IF NOT EXISTS exceptions_never_deleted BEFORE DELETE ON exceptions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: exceptions are never deleted'); END;
