-- One act on exceptions: an add, or an expire of an earlier add.
INSERT INTO exceptions (action, exception_seq, rule_id, account_id, statement_pattern, owner, reason,
                        expires, recorded_by, recorded_at)
VALUES (:action, :exception_seq, :rule_id, :account_id, :statement_pattern, :owner, :reason,
        :expires, :recorded_by, :recorded_at)
