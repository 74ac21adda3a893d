-- Accounts whose lookups the volume-spike rule could not judge this month: days with too little
-- history for a baseline.
SELECT resolved_account AS account_id, any_value(agency) AS agency, count(*) AS days_unjudged,
       min(local_day) AS first_day, sum(lookups) AS lookups
FROM volume_baselines
WHERE NOT has_baseline
  AND local_midnight(local_day) >= $month_start AND local_midnight(local_day) < $month_end
GROUP BY resolved_account
ORDER BY resolved_account
