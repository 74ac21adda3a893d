-- One sha256 over every flag of the month (id and content), so that a version's fingerprint
-- changes with any flag without the flags leaving the warehouse. Digests are chained per bucket
-- of flag ids first, so no single string grows with the month.
WITH flag_digests AS (
    SELECT flag_id,
           sha256(to_json(struct_pack(flag_id, rule_id, rule_version, category, severity, subject_type,
                                      subject_id, account_id, person_id, event_us := epoch_us(event_ts),
                                      summary, evidence))::VARCHAR) AS digest
    FROM flags
    WHERE month = $month),
buckets AS (
    SELECT left(flag_id, 3) AS bucket, sha256(string_agg(digest, '' ORDER BY flag_id)) AS digest
    FROM flag_digests
    GROUP BY bucket)
SELECT (SELECT count(*) FROM flag_digests) AS flags,
       sha256(coalesce(string_agg(digest, '' ORDER BY bucket), '')) AS sha256
FROM buckets
