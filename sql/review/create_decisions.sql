-- The review store's one table: one row per decision, appended, never changed (docs/review.md).
-- The same on SQLite and PostgreSQL but for `seq`, whose type each dialect names
-- (compliance/review/store.py, SEQUENCE_COLUMN); sqlite_setup.sql and postgres_setup.sql add the
-- triggers that refuse any change.
CREATE TABLE IF NOT EXISTS decisions (
    seq SEQUENCE_COLUMN,
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
