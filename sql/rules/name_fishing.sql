-- Browsing for names: many wildcard name searches, or many distinct people, by one account within
-- the pack's window. One flag per burst, dated at its first search.
WITH searches AS NOT MATERIALIZED (
    SELECT e.*, (e.pattern_text LIKE '%\%%' ESCAPE '\' OR e.pattern_text LIKE '%*%'
                 OR coalesce(e.name_wildcard, false)) AS is_wildcard
    FROM access_enriched e
    WHERE e.action_norm IN ('search', 'view') AND e.is_primary),
-- A window holds as many searches as a threshold only where a search is followed, within the
-- window, by that many less one (and holds no more distinct people than searches): a lead finds
-- the accounts where that happens (all of them if the pack sets no window), and only their
-- searches go through the windows below, whose RANGE frames and distinct count cost far more.
busy_accounts AS (
    SELECT resolved_account FROM (
        SELECT resolved_account, event_ts,
               lead(event_ts, greatest(CAST(threshold('name_fishing', 'distinct_subjects') AS INTEGER) - 1, 0))
                   OVER (PARTITION BY resolved_account ORDER BY event_ts) AS later_search_ts
        FROM searches)
    WHERE later_search_ts <= event_ts + to_minutes(CAST(threshold('name_fishing', 'window_minutes') AS INTEGER))
       OR threshold('name_fishing', 'window_minutes') IS NULL
    UNION
    SELECT resolved_account FROM (
        SELECT resolved_account, event_ts,
               lead(event_ts, greatest(CAST(threshold('name_fishing', 'wildcard_searches') AS INTEGER) - 1, 0))
                   OVER (PARTITION BY resolved_account ORDER BY event_ts) AS later_wildcard_ts
        FROM searches WHERE is_wildcard)
    WHERE later_wildcard_ts <= event_ts + to_minutes(CAST(threshold('name_fishing', 'window_minutes') AS INTEGER))),
windows AS (
    SELECT s.*,
           count(*) FILTER (is_wildcard) OVER w AS wildcards_in_window,
           count(DISTINCT subject_person_id) OVER w AS subjects_in_window
    FROM searches s SEMI JOIN busy_accounts b ON b.resolved_account IS NOT DISTINCT FROM s.resolved_account
    WINDOW w AS (PARTITION BY resolved_account ORDER BY event_ts
                 RANGE BETWEEN CURRENT ROW AND to_minutes(CAST(threshold('name_fishing', 'window_minutes') AS INTEGER)) FOLLOWING)),
starts AS (
    SELECT *, lag(event_ts) OVER (PARTITION BY resolved_account ORDER BY event_ts) AS previous_start
    FROM windows
    WHERE (is_wildcard AND wildcards_in_window >= CAST(threshold('name_fishing', 'wildcard_searches') AS INTEGER))
       OR subjects_in_window >= CAST(threshold('name_fishing', 'distinct_subjects') AS INTEGER)),
bursts AS (
    SELECT *, sum(opens_burst(event_ts, previous_start, threshold('name_fishing', 'window_minutes')))
                  OVER (PARTITION BY resolved_account ORDER BY event_ts) AS burst
    FROM starts),
per_burst AS (
    SELECT resolved_account, burst, min(event_ts) AS window_start, max(event_ts) AS last_start,
           max(wildcards_in_window) AS wildcards, max(subjects_in_window) AS subjects,
           arg_min(agency, event_ts) AS agency, arg_min(batch_id, event_ts) AS batch_id,
           arg_min(source_line, event_ts) AS source_line, arg_min(search_terms, event_ts) AS first_terms
    FROM bursts GROUP BY resolved_account, burst)
SELECT 'account' AS subject_type, b.resolved_account AS subject_id, b.resolved_account AS account_id,
       NULL AS person_id, b.window_start AS event_ts, b.window_start,
       'Account ' || b.resolved_account || ' ran ' || b.wildcards || ' wildcard searches on ' ||
           b.subjects || ' people within ' || threshold('name_fishing', 'window_minutes') || ' minutes' AS summary,
       json_object(
           'reason', 'Within ' || threshold('name_fishing', 'window_minutes') || ' minutes from ' || strftime(timezone(pack_tz(), b.window_start), '%Y-%m-%d %H:%M') || ' the account ran ' || b.wildcards || ' wildcard searches and reached ' || b.subjects || ' distinct people (thresholds ' || threshold('name_fishing', 'wildcard_searches') || ' and ' || threshold('name_fishing', 'distinct_subjects') || ').',
           'agency', b.agency, 'first_search_terms', b.first_terms,
           'wildcard_searches', b.wildcards, 'distinct_subjects', b.subjects,
           'window_start_local', strftime(timezone(pack_tz(), b.window_start), '%Y-%m-%d %H:%M:%S'),
           'last_window_start_local', strftime(timezone(pack_tz(), b.last_start), '%Y-%m-%d %H:%M:%S'),
           'policy_citation', 'Massachusetts CORI audit (2009) and AP (2016) on database browsing; FBI CJIS Security Policy § 5.4.3',
           'source_lines', json_array(source_of(b.batch_id, b.source_line))) AS evidence
FROM per_burst b
WHERE b.window_start >= $month_start AND b.window_start < $month_end
