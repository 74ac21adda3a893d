-- The detainers the month's detainer checks are counted against: those received in the month,
-- acted on in it (held, handed over, declined, release notice sent) or flagged in it; and, apart,
-- how many were received (the NYC count).
WITH in_month AS (
    SELECT detainer_id FROM detainers
    WHERE (received_at >= $month_start AND received_at < $month_end)
       OR (action_at >= $month_start AND action_at < $month_end)
       OR (notice_sent_at >= $month_start AND notice_sent_at < $month_end)
    UNION
    SELECT subject_id FROM flags WHERE month = $month AND subject_type = 'detainer')
SELECT (SELECT count(*) FROM in_month) AS detainers_in_month,
       (SELECT count(*) FROM detainers WHERE received_at >= $month_start AND received_at < $month_end)
           AS detainers_received
