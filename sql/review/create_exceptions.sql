-- Exceptions: tuning that never hides a flag (docs/review.md, "Exceptions"). One row per act,
-- appended, never changed: `add` declares an exception (its id is `X` and its seq), `expire` ends
-- one early (`exception_seq` names it). An exception applies to flags of `rule_id` on
-- `account_id` (and, if given, whose statement matches `statement_pattern`, a SQL LIKE pattern)
-- raised for events before `expires`.
CREATE TABLE IF NOT EXISTS exceptions (
    seq SEQUENCE_COLUMN,
    action TEXT NOT NULL CHECK (action IN ('add', 'expire')),
    exception_seq BIGINT,
    rule_id TEXT,
    account_id TEXT,
    statement_pattern TEXT,
    owner TEXT,
    reason TEXT NOT NULL,
    expires TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    CHECK ((action = 'add') = (exception_seq IS NULL)),
    CHECK (action = 'expire' OR (rule_id IS NOT NULL AND account_id IS NOT NULL AND owner IS NOT NULL
                                 AND expires IS NOT NULL))
);
