-- The chain's last record (none in a new warehouse).
SELECT seq, kind, record_key, record, record_digest, previous_hash, hash, recorded_at
FROM evidence_chain ORDER BY seq DESC LIMIT 1
