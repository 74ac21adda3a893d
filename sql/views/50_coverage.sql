-- Coverage of the sources (docs/data-quality.md, "Coverage and log gaps"): shared by the log_gap rule and the
-- report's data-quality section, which both install it with the other views.
-- Rows per source and local day (access events by their `source`, other tables by table name).
CREATE OR REPLACE TEMP VIEW coverage_days AS
WITH received AS (
    SELECT 'access_events' AS table_name, coalesce(source, 'access_events') AS source, event_ts AS ts
    FROM access_events
    UNION ALL SELECT 'arrests', 'arrests', arrest_ts FROM arrests
    UNION ALL SELECT 'custody_events', 'custody_events', event_ts FROM custody_events
    UNION ALL SELECT 'detainers', 'detainers', received_at FROM detainers)
SELECT table_name, source, CAST(timezone(pack_tz(), ts) AS DATE) AS day, count(*) AS rows_received
FROM received WHERE ts IS NOT NULL GROUP BY ALL;

-- Gaps in the access logs. `sequence`: a source the pack lists in log_gap.gap_free_sequences
-- skips sequence numbers (over the whole source, or within each session); `time`: a source sends
-- no record for at least log_gap.min_gap_minutes. gap_start is the last record before the gap.
CREATE OR REPLACE TEMP VIEW coverage_gaps AS
WITH settings AS (
    SELECT CASE WHEN threshold('log_gap', 'min_gap_minutes') IS NULL
                THEN error('policy pack: thresholds.log_gap.min_gap_minutes is missing')
                ELSE CAST(threshold('log_gap', 'min_gap_minutes') AS INTEGER) END AS min_gap_minutes,
           coalesce(pack_setting('thresholds') -> 'log_gap' -> 'gap_free_sequences', '{}') AS sequences),
events AS (
    SELECT coalesce(e.source, 'access_events') AS source, e.event_id, e.event_ts, e.sequence_no,
           e.session_id, e.batch_id, e.source_line,
           (SELECT s.sequences ->> coalesce(e.source, 'access_events') FROM settings s) AS sequence_scope
    FROM access_events e WHERE e.event_ts IS NOT NULL),
sequence_steps AS (
    SELECT source, CASE WHEN sequence_scope = 'session' THEN session_id END AS session_id,
           lag(event_ts) OVER w AS gap_start, event_ts AS gap_end,
           lag(sequence_no) OVER w AS sequence_before, sequence_no AS sequence_after,
           lag(event_id) OVER w AS event_before, event_id AS event_after,
           lag(batch_id) OVER w AS batch_before, lag(source_line) OVER w AS line_before,
           batch_id AS batch_after, source_line AS line_after
    FROM events WHERE sequence_scope IN ('source', 'session') AND sequence_no IS NOT NULL
    WINDOW w AS (PARTITION BY source, CASE WHEN sequence_scope = 'session' THEN session_id END
                 ORDER BY sequence_no, event_ts, event_id)),
time_steps AS (
    SELECT source, lag(event_ts) OVER w AS gap_start, event_ts AS gap_end,
           lag(event_id) OVER w AS event_before, event_id AS event_after,
           lag(batch_id) OVER w AS batch_before, lag(source_line) OVER w AS line_before,
           batch_id AS batch_after, source_line AS line_after
    FROM events WINDOW w AS (PARTITION BY source ORDER BY event_ts, event_id))
SELECT 'sequence' AS kind, source, session_id, gap_start, gap_end,
       sequence_after - sequence_before - 1 AS missing_records, sequence_before, sequence_after,
       event_before, event_after, batch_before, line_before, batch_after, line_after
FROM sequence_steps WHERE sequence_after - sequence_before > 1
UNION ALL
SELECT 'time', source, NULL, gap_start, gap_end, NULL, NULL, NULL,
       event_before, event_after, batch_before, line_before, batch_after, line_after
FROM time_steps
WHERE gap_end - gap_start >= to_minutes((SELECT min_gap_minutes FROM settings));
