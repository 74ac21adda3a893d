-- One flag of a published report version (its Parquet export), every column, for its evidence
-- page in the review app. $flags: the export's path; $flag_id: the flag.
SELECT flag_id, month, rule_id, rule_version, category, severity, subject_type, subject_id,
       account_id, person_id, event_ts, event_local, summary, policy_citation,
       CAST(evidence AS VARCHAR) AS evidence, sha256(CAST(evidence AS VARCHAR)) AS evidence_sha256
FROM read_parquet($flags)
WHERE flag_id = $flag_id
