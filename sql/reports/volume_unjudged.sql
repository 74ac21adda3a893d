-- Accounts whose lookups the volume-spike rule could not judge this month (days with too little
-- history for a baseline): how many in all, and the $listed with the most lookups on those days
-- (in a first month of data that is every account, so the report lists a few and counts the rest).
SELECT resolved_account AS account_id, any_value(agency) AS agency, count(*) AS days_unjudged,
       min(local_day) AS first_day, sum(lookups) AS lookups, count(*) OVER () AS accounts_unjudged
FROM volume_baselines
WHERE NOT has_baseline
  AND local_midnight(local_day) >= $month_start AND local_midnight(local_day) < $month_end
GROUP BY resolved_account
ORDER BY lookups DESC, resolved_account
LIMIT $listed
