-- Every act on exceptions, oldest first (an `add`, or an `expire` naming its add by exception_seq).
SELECT seq, action, exception_seq, rule_id, account_id, statement_pattern, owner, reason, expires,
       recorded_by, recorded_at
FROM exceptions
ORDER BY seq
