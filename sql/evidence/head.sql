-- The chain's last record (none in a new warehouse). By max(), not ORDER BY seq DESC LIMIT 1: in
-- duckdb 2.0.1 that Top-N can miss the last row of a file table whose rows were deleted and then
-- appended to in a later connection (docs/evidence.md, "Limits").
SELECT seq, kind, record_key, record, record_digest, previous_hash, hash, recorded_at
FROM evidence_chain WHERE seq = (SELECT max(seq) FROM evidence_chain)
