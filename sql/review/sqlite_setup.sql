-- The SQLite store after create_decisions.sql: WAL lets a reviewer write while readers read; the
-- triggers refuse any UPDATE or DELETE, so the history is append-only whoever opens the file.
PRAGMA journal_mode = WAL;
CREATE TRIGGER IF NOT EXISTS decisions_never_updated BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: decisions are never updated'); END;
CREATE TRIGGER IF NOT EXISTS decisions_never_deleted BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: decisions are never deleted'); END;
