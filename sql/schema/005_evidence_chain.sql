-- The evidence chain (docs/evidence.md): an append-only hash chain over what the reports rest on.
-- One row per record of any kind (batch, flags, report_version, and any later kind): `kind` is
-- free text and `record` the record's canonical JSON, so a new kind of record joins the chain
-- without a migration. record_digest is the sha256 of `record`; hash is the sha256 of (seq, kind,
-- record_key, record_digest, previous_hash, recorded_at), previous_hash the hash of record seq - 1
-- (64 zeros for the first).
CREATE TABLE evidence_chain (
    seq BIGINT PRIMARY KEY, kind VARCHAR NOT NULL, record_key VARCHAR NOT NULL, record JSON NOT NULL,
    record_digest VARCHAR NOT NULL, previous_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
