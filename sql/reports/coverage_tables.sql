-- Rows of the month per landing table, by each table's main timestamp.
SELECT 'access_events' AS table_name, count(*) AS rows_in_month FROM access_events
    WHERE event_ts >= $month_start AND event_ts < $month_end
UNION ALL SELECT 'arrests', count(*) FROM arrests WHERE arrest_ts >= $month_start AND arrest_ts < $month_end
UNION ALL SELECT 'custody_events', count(*) FROM custody_events
    WHERE event_ts >= $month_start AND event_ts < $month_end
UNION ALL SELECT 'detainers', count(*) FROM detainers WHERE received_at >= $month_start AND received_at < $month_end
UNION ALL SELECT 'charges (all months)', count(*) FROM charges
UNION ALL SELECT 'accounts (all)', count(*) FROM accounts
