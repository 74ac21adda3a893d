-- Every decision on one flag, oldest first.
SELECT flag_id, month, action, disposition, duplicate_of, note, reviewer, recorded_at, rule_id,
       rule_version, evidence_sha256
FROM decisions
WHERE flag_id = :flag_id
ORDER BY seq
