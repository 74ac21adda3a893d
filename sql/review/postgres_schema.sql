-- The review store (PostgreSQL, by COMPLIANCE_REVIEWS_DSN): the same table as
-- sqlite_schema.sql, append-only by trigger (docs/review.md).
CREATE TABLE IF NOT EXISTS decisions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
CREATE OR REPLACE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the review history is append-only: decisions are never %', lower(TG_OP) || 'd';
END $$;
CREATE OR REPLACE TRIGGER decisions_never_changed BEFORE UPDATE OR DELETE OR TRUNCATE ON decisions
FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();
