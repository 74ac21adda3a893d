-- The flags a published report version holds (its Parquet export), with what a review is judged
-- against: the rule's version and a hash of the evidence. $flags: the export's path.
SELECT flag_id, month, rule_id, rule_version, category, severity, event_ts, summary,
       sha256(CAST(evidence AS VARCHAR)) AS evidence_sha256
FROM read_parquet($flags)
