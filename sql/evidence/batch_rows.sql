-- How many rows each batch still has in its landing table, to compare with its rows_loaded.
SELECT batch_id, count(*) AS rows_held FROM (
    SELECT batch_id FROM accounts
    UNION ALL SELECT batch_id FROM account_map
    UNION ALL SELECT batch_id FROM arrests
    UNION ALL SELECT batch_id FROM charges
    UNION ALL SELECT batch_id FROM detainers
    UNION ALL SELECT batch_id FROM custody_events
    UNION ALL SELECT batch_id FROM access_events)
GROUP BY batch_id
