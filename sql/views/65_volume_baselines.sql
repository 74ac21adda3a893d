-- Each account's lookups per local day against its own baseline: the mean over its active days in
-- the preceding volume_spike.baseline_days days, and how many such days there were. The
-- volume_spike rule flags against it; the report names the days it could not judge (too little
-- history), since the rule does not guess.
CREATE OR REPLACE TEMP VIEW volume_baselines AS
WITH daily AS (
    SELECT resolved_account, local_day, count(*) AS lookups, any_value(agency) AS agency,
           arg_min(batch_id, event_ts) AS batch_id, arg_min(source_line, event_ts) AS source_line
    FROM access_enriched WHERE is_lookup AND is_primary GROUP BY resolved_account, local_day)
SELECT d.*, avg(lookups) OVER w AS baseline_mean, count(*) OVER w AS history_days,
       count(*) OVER w >= CAST(threshold('volume_spike', 'min_history_days') AS INTEGER) AS has_baseline
FROM daily d
WINDOW w AS (PARTITION BY resolved_account ORDER BY local_day
             RANGE BETWEEN to_days(CAST(threshold('volume_spike', 'baseline_days') AS INTEGER)) PRECEDING
                       AND to_days(1) PRECEDING);
