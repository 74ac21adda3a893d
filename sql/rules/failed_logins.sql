-- A burst of failed log-ons to one account: guessing, or a shared password gone stale.
WITH failures AS (
    SELECT e.*, count(*) OVER (PARTITION BY e.resolved_account ORDER BY e.event_ts
                               RANGE BETWEEN CURRENT ROW
                                         AND to_minutes(CAST(threshold('failed_logins', 'window_minutes') AS INTEGER)) FOLLOWING)
               AS failures_in_window
    FROM access_enriched e WHERE e.action_norm = 'login_failed'),
starts AS (
    SELECT *, lag(event_ts) OVER (PARTITION BY resolved_account ORDER BY event_ts) AS previous_start
    FROM failures
    WHERE failures_in_window >= CAST(threshold('failed_logins', 'failures') AS INTEGER)),
bursts AS (
    SELECT *, sum(opens_burst(event_ts, previous_start, threshold('failed_logins', 'window_minutes')))
                  OVER (PARTITION BY resolved_account ORDER BY event_ts) AS burst
    FROM starts),
per_burst AS (
    SELECT resolved_account, burst, min(event_ts) AS window_start, max(failures_in_window) AS failures,
           list(DISTINCT client_host) AS hosts, arg_min(agency, event_ts) AS agency,
           arg_min(batch_id, event_ts) AS batch_id, arg_min(source_line, event_ts) AS source_line
    FROM bursts GROUP BY resolved_account, burst)
SELECT 'account' AS subject_type, b.resolved_account AS subject_id, b.resolved_account AS account_id,
       NULL AS person_id, b.window_start AS event_ts, b.window_start,
       b.failures || ' failed log-ons to account ' || b.resolved_account || ' within ' ||
           threshold('failed_logins', 'window_minutes') || ' minutes' AS summary,
       json_object(
           'reason', b.failures || ' failed log-ons within ' || threshold('failed_logins', 'window_minutes') || ' minutes from ' || strftime(timezone(pack_tz(), b.window_start), '%Y-%m-%d %H:%M') || ' (threshold ' || threshold('failed_logins', 'failures') || ').',
           'agency', b.agency, 'hosts', list_sort(b.hosts), 'failures', b.failures,
           'policy_citation', 'FBI CJIS Security Policy § 5.4.1.1 item 1 (unsuccessful log-on attempts)',
           'source_lines', json_array(source_of(b.batch_id, b.source_line))) AS evidence
FROM per_burst b
WHERE b.window_start >= $month_start AND b.window_start < $month_end
