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
SELECT table_name, source, CAST(local_time(ts) AS DATE) AS day, count(*) AS rows_received
FROM received WHERE ts IS NOT NULL GROUP BY ALL;

-- Gaps in the access logs. `sequence`: a source the pack lists in log_gap.gap_free_sequences
-- skips sequence numbers (over the whole source, or within each session); `time`: a source sends
-- no record for at least log_gap.min_gap_minutes. gap_start is the last record before the gap.
-- Each gap is a step between two consecutive records; rather than sort every record of the
-- history for them, the records are first grouped into stretches that cannot hold a gap inside,
-- and only the steps between stretches (and inside the rare stretch that may) are looked at.
CREATE OR REPLACE TEMP VIEW coverage_gaps AS
WITH settings AS (
    SELECT CASE WHEN threshold('log_gap', 'min_gap_minutes') IS NULL
                THEN error('policy pack: thresholds.log_gap.min_gap_minutes is missing')
                WHEN CAST(threshold('log_gap', 'min_gap_minutes') AS INTEGER) <= 0
                THEN error('policy pack: thresholds.log_gap.min_gap_minutes must be a positive number of minutes')
                ELSE CAST(threshold('log_gap', 'min_gap_minutes') AS INTEGER) END AS min_gap_minutes,
           coalesce(pack_setting('thresholds') -> 'log_gap' -> 'gap_free_sequences', '{}') AS sequences),
-- What each source promises of its sequence, looked up once per source rather than per record.
scopes AS (
    SELECT src.source, (SELECT s.sequences ->> src.source FROM settings s) AS sequence_scope
    FROM (SELECT DISTINCT coalesce(source, 'access_events') AS source FROM access_events) src),
-- Scanned by both kinds of gap rather than kept between them: a month of records would only be
-- copied, and spilled beyond the memory limit.
events AS NOT MATERIALIZED (
    SELECT coalesce(e.source, 'access_events') AS source, e.event_id, e.event_ts, e.sequence_no,
           e.session_id, e.batch_id, e.source_line, c.sequence_scope
    FROM access_events e JOIN scopes c ON c.source = coalesce(e.source, 'access_events')
    WHERE e.event_ts IS NOT NULL),
sequenced AS (
    SELECT source, CASE WHEN sequence_scope = 'session' THEN session_id END AS session_id, sequence_no,
           sequence_no // 1024 AS run, event_ts, event_id, batch_id, source_line
    FROM events WHERE sequence_scope IN ('source', 'session') AND sequence_no IS NOT NULL),
-- Runs of up to 1024 sequence numbers: a run holding every number from its lowest to its highest
-- skips none inside.
sequence_runs AS (
    SELECT source, session_id, run,
           bit_count(bitstring_agg(sequence_no - run * 1024, -1023, 1023))
               = max(sequence_no) - min(sequence_no) + 1 AS complete,
           arg_min({'ts': event_ts, 'seq': sequence_no, 'id': event_id, 'batch': batch_id, 'line': source_line},
                   (sequence_no, event_ts, event_id)) AS first,
           arg_max({'ts': event_ts, 'seq': sequence_no, 'id': event_id, 'batch': batch_id, 'line': source_line},
                   (sequence_no, event_ts, event_id)) AS last
    FROM sequenced GROUP BY source, session_id, run),
sequence_steps AS (
    SELECT source, session_id, lag(last.ts) OVER w AS gap_start, first.ts AS gap_end,
           lag(last.seq) OVER w AS sequence_before, first.seq AS sequence_after,
           lag(last.id) OVER w AS event_before, first.id AS event_after,
           lag(last.batch) OVER w AS batch_before, lag(last.line) OVER w AS line_before,
           first.batch AS batch_after, first.line AS line_after
    FROM sequence_runs WINDOW w AS (PARTITION BY source, session_id ORDER BY run)
    UNION ALL
    SELECT s.source, s.session_id, lag(s.event_ts) OVER w, s.event_ts, lag(s.sequence_no) OVER w, s.sequence_no,
           lag(s.event_id) OVER w, s.event_id, lag(s.batch_id) OVER w, lag(s.source_line) OVER w,
           s.batch_id, s.source_line
    FROM sequenced s
    JOIN sequence_runs r ON r.source = s.source AND r.session_id IS NOT DISTINCT FROM s.session_id
                        AND r.run = s.run AND NOT r.complete
    WINDOW w AS (PARTITION BY s.source, s.session_id, s.run ORDER BY s.sequence_no, s.event_ts, s.event_id)),
-- Stretches of min_gap_minutes (in UTC, so that every one is as long): two records in one are
-- closer than a gap.
time_stretches AS (
    SELECT e.source, time_bucket(to_minutes(s.min_gap_minutes), timezone('UTC', e.event_ts)) AS stretch,
           arg_min({'ts': e.event_ts, 'id': e.event_id, 'batch': e.batch_id, 'line': e.source_line},
                   (e.event_ts, e.event_id)) AS first,
           arg_max({'ts': e.event_ts, 'id': e.event_id, 'batch': e.batch_id, 'line': e.source_line},
                   (e.event_ts, e.event_id)) AS last
    FROM events e, settings s GROUP BY e.source, stretch),
time_steps AS (
    SELECT source, lag(last.ts) OVER w AS gap_start, first.ts AS gap_end,
           lag(last.id) OVER w AS event_before, first.id AS event_after,
           lag(last.batch) OVER w AS batch_before, lag(last.line) OVER w AS line_before,
           first.batch AS batch_after, first.line AS line_after
    FROM time_stretches WINDOW w AS (PARTITION BY source ORDER BY stretch))
SELECT 'sequence' AS kind, source, session_id, gap_start, gap_end,
       sequence_after - sequence_before - 1 AS missing_records, sequence_before, sequence_after,
       event_before, event_after, batch_before, line_before, batch_after, line_after
FROM sequence_steps WHERE sequence_after - sequence_before > 1
UNION ALL
SELECT 'time', source, NULL, gap_start, gap_end, NULL, NULL, NULL,
       event_before, event_after, batch_before, line_before, batch_after, line_after
FROM time_steps
WHERE gap_end - gap_start >= to_minutes((SELECT min_gap_minutes FROM settings));
