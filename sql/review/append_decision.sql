-- One decision on one flag (a bulk review appends one per flag, in one transaction).
INSERT INTO decisions (flag_id, month, action, disposition, duplicate_of, note, reviewer, recorded_at,
                       rule_id, rule_version, evidence_sha256)
VALUES (:flag_id, :month, :action, :disposition, :duplicate_of, :note, :reviewer, :recorded_at,
        :rule_id, :rule_version, :evidence_sha256)
