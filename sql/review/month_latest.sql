-- The latest decision on each flag of a month: its current state (a reopen leaves it open).
SELECT d.flag_id, d.month, d.action, d.disposition, d.duplicate_of, d.note, d.reviewer, d.recorded_at,
       d.rule_id, d.rule_version, d.evidence_sha256
FROM decisions d
JOIN (SELECT flag_id, max(seq) AS seq FROM decisions WHERE month = :month GROUP BY flag_id) last
  ON last.seq = d.seq
ORDER BY d.flag_id
