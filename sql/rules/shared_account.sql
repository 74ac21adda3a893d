-- One account used from two hosts within minutes of each other (ports ignored): a shared login.
-- Consecutive events suffice: any two close events from different hosts imply a close
-- consecutive pair from different hosts. Only an account seen on two hosts can switch: the others
-- are spared the window, which sorts all of the account's events.
WITH hosted AS NOT MATERIALIZED (
    SELECT e.* FROM access_enriched e WHERE e.client_host IS NOT NULL AND e.client_host <> ''),
multi_host_accounts AS (
    SELECT resolved_account FROM hosted GROUP BY resolved_account HAVING min(client_host) <> max(client_host)),
ordered AS (
    SELECT e.*, lag(e.event_ts) OVER w AS previous_ts, lag(e.client_host) OVER w AS previous_host,
           lag(e.event_id) OVER w AS previous_event
    FROM hosted e
    SEMI JOIN multi_host_accounts m ON m.resolved_account IS NOT DISTINCT FROM e.resolved_account
    WINDOW w AS (PARTITION BY e.resolved_account ORDER BY e.event_ts, e.event_id)),
switches AS (
    SELECT *, lag(event_ts) OVER (PARTITION BY resolved_account ORDER BY event_ts) AS previous_switch
    FROM ordered
    WHERE previous_host IS NOT NULL AND client_host <> previous_host
      AND event_ts - previous_ts <= to_minutes(CAST(threshold('shared_account', 'window_minutes') AS INTEGER))),
bursts AS (
    SELECT *, sum(opens_burst(event_ts, previous_switch, threshold('shared_account', 'window_minutes')))
                  OVER (PARTITION BY resolved_account ORDER BY event_ts) AS burst
    FROM switches),
per_burst AS (
    SELECT resolved_account, burst, min(previous_ts) AS window_start, max(event_ts) AS last_ts,
           list(DISTINCT previous_host) || list(DISTINCT client_host) AS hosts,
           arg_min(agency, event_ts) AS agency, arg_min(batch_id, event_ts) AS batch_id,
           arg_min(source_line, event_ts) AS source_line, count(*) AS switches
    FROM bursts GROUP BY resolved_account, burst)
SELECT 'account' AS subject_type, b.resolved_account AS subject_id, b.resolved_account AS account_id,
       NULL AS person_id, b.window_start AS event_ts, b.window_start,
       'Account ' || b.resolved_account || ' was used from ' || len(list_distinct(b.hosts)) ||
           ' addresses within ' || threshold('shared_account', 'window_minutes') || ' minutes' AS summary,
       json_object(
           'reason', 'The account switched between hosts ' || array_to_string(list_sort(list_distinct(b.hosts)), ', ') || ' within ' || threshold('shared_account', 'window_minutes') || ' minutes, which one person at one terminal cannot do.',
           'agency', b.agency, 'hosts', list_sort(list_distinct(b.hosts)), 'switches', b.switches,
           'window_start_local', strftime(timezone(pack_tz(), b.window_start), '%Y-%m-%d %H:%M:%S'),
           'last_event_local', strftime(timezone(pack_tz(), b.last_ts), '%Y-%m-%d %H:%M:%S'),
           'policy_citation', 'FBI CJIS Security Policy § 5.4.7 (identifiers unique to each person); domain reference § 5.3',
           'source_lines', json_array(source_of(b.batch_id, b.source_line))) AS evidence
FROM per_burst b
WHERE b.window_start >= $month_start AND b.window_start < $month_end
