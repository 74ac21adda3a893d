-- One digest over every flag of the month (id and content), so that a version's fingerprint
-- changes with any flag without the flags leaving the warehouse: the count, and the XOR and the
-- sum of each flag's 64-bit hash (order-free, so nothing is sorted). It detects change; the
-- version's record of the flags themselves is its Parquet export, with its sha256 in the manifest.
WITH flag_hashes AS (
    SELECT hash(flag_id, rule_id, rule_version, category, severity, subject_type, subject_id,
                account_id, person_id, event_ts, summary, evidence) AS flag_hash
    FROM flags
    WHERE month = $month)
SELECT count(*) AS flags,
       printf('%016x', coalesce(bit_xor(flag_hash), 0)) || '-' || CAST(coalesce(sum(CAST(flag_hash AS HUGEINT)), 0) AS VARCHAR) AS digest
FROM flag_hashes
