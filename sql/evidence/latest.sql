-- The last record of one kind and key: what an append compares the new content with (by max(), as
-- in sql/evidence/head.sql).
SELECT seq, kind, record_key, record, record_digest, previous_hash, hash, recorded_at
FROM evidence_chain
WHERE seq = (SELECT max(seq) FROM evidence_chain WHERE kind = $kind AND record_key = $record_key)
