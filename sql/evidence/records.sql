-- Every record of the chain in order, to check each link.
SELECT seq, kind, record_key, record, record_digest, previous_hash, hash, recorded_at
FROM evidence_chain ORDER BY seq
