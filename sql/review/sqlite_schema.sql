-- The review store (SQLite): one row per decision, appended, never changed (docs/review.md).
-- WAL lets a reviewer write while readers read; the triggers refuse any UPDATE or DELETE, so
-- the history is append-only whoever opens the file.
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    flag_id TEXT NOT NULL,
    month TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('review', 'reopen')),
    disposition TEXT CHECK (disposition IN ('confirmed', 'justified', 'false_positive', 'data_error', 'duplicate')),
    duplicate_of TEXT,
    note TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    rule_version TEXT NOT NULL,
    evidence_sha256 TEXT NOT NULL,
    CHECK ((action = 'review') = (disposition IS NOT NULL)),
    CHECK ((disposition = 'duplicate') = (duplicate_of IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS decisions_by_month ON decisions (month, flag_id, seq);
CREATE INDEX IF NOT EXISTS decisions_by_flag ON decisions (flag_id, seq);
CREATE TRIGGER IF NOT EXISTS decisions_never_updated BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: decisions are never updated'); END;
CREATE TRIGGER IF NOT EXISTS decisions_never_deleted BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'the review history is append-only: decisions are never deleted'); END;
