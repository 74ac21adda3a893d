-- A day on which an account looked up far more records than its own baseline (the mean of its
-- active days in the preceding weeks, sql/views/65_volume_baselines.sql). Without enough history
-- there is no baseline and no flag; the report lists those days instead.
SELECT 'account' AS subject_type, b.resolved_account AS subject_id, b.resolved_account AS account_id,
       NULL AS person_id, local_midnight(b.local_day) AS event_ts, local_midnight(b.local_day) AS window_start,
       'Account ' || b.resolved_account || ' made ' || b.lookups || ' lookups on ' || b.local_day ||
           ', ' || round(b.lookups / b.baseline_mean, 1) || ' times its usual ' ||
           round(b.baseline_mean, 1) AS summary,
       json_object(
           'reason', 'On ' || b.local_day || ' the account made ' || b.lookups || ' lookups against a mean of ' || round(b.baseline_mean, 1) || ' over its ' || b.history_days || ' active days in the preceding ' || threshold('volume_spike', 'baseline_days') || ' days; the pack flags ' || threshold('volume_spike', 'factor') || ' times the mean.',
           'agency', b.agency, 'day', b.local_day, 'lookups', b.lookups,
           'baseline_mean', round(b.baseline_mean, 2), 'history_days', b.history_days,
           'policy_citation', 'Volume against the user''s own baseline (domain reference § 5.3); FBI CJIS Security Policy § 5.4.3',
           'source_lines', json_array(source_of(b.batch_id, b.source_line))) AS evidence
FROM volume_baselines b
WHERE b.has_baseline
  AND b.lookups >= CAST(threshold('volume_spike', 'factor') AS DOUBLE) * b.baseline_mean
  AND b.lookups >= CAST(threshold('volume_spike', 'min_lookups') AS INTEGER)
  AND local_midnight(b.local_day) >= $month_start AND local_midnight(b.local_day) < $month_end
