-- The chain's next record (compliance/evidence.py computes its digest and hash).
INSERT INTO evidence_chain
VALUES ($seq, $kind, $record_key, $record, $record_digest, $previous_hash, $hash, CAST($recorded_at AS TIMESTAMPTZ))
