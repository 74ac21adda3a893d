-- A gap in an access log (the coverage_gaps view): sequence numbers skipped in a source that
-- promises none, or no record for at least log_gap.min_gap_minutes. One flag per source and gap
-- start; a gap that is both (a withheld day) is one flag naming both.
WITH gaps AS (
    SELECT source, gap_start, max(gap_end) AS gap_end, list(DISTINCT kind ORDER BY kind) AS kinds,
           sum(missing_records) AS missing_records, min(sequence_before) AS sequence_before,
           max(sequence_after) AS sequence_after, any_value(event_before) AS event_before,
           max(event_after) AS event_after, any_value(batch_before) AS batch_before,
           any_value(line_before) AS line_before, max(batch_after) AS batch_after,
           max(line_after) AS line_after
    FROM coverage_gaps
    WHERE gap_start >= $month_start AND gap_start < $month_end
    GROUP BY source, gap_start),
described AS (
    SELECT *, strftime(timezone(pack_tz(), gap_start), '%Y-%m-%d %H:%M:%S') AS local_start,
           strftime(timezone(pack_tz(), gap_end), '%Y-%m-%d %H:%M:%S') AS local_end,
           CAST(round(epoch(gap_end - gap_start) / 60) AS BIGINT) AS silent_minutes
    FROM gaps)
SELECT 'source' AS subject_type,
       source AS subject_id,
       NULL AS account_id,
       NULL AS person_id,
       gap_start AS event_ts,
       gap_start AS window_start,
       'The ' || source || ' log has a gap after ' || local_start || ' local: ' ||
           array_to_string(list_filter([
               CASE WHEN list_contains(kinds, 'sequence')
                    THEN missing_records || CASE WHEN missing_records = 1 THEN ' record' ELSE ' records' END ||
                         ' missing (sequence_no ' || sequence_before ||
                         ' to ' || sequence_after || ')' END,
               CASE WHEN list_contains(kinds, 'time')
                    THEN 'no record for ' || silent_minutes || ' minutes' END], lambda x: x IS NOT NULL),
                           ' and ') AS summary,
       json_object(
           'reason', CASE WHEN list_contains(kinds, 'sequence')
                          THEN 'sequence_no jumps from ' || sequence_before || ' to ' || sequence_after
                               || ' in a source that promises a gap-free sequence' ELSE '' END ||
                     CASE WHEN kinds = ['sequence', 'time'] THEN '; ' ELSE '' END ||
                     CASE WHEN list_contains(kinds, 'time')
                          THEN 'no record from ' || local_start || ' to ' || local_end ||
                               ' local, at least the pack''s ' || threshold('log_gap', 'min_gap_minutes')
                               || ' minutes' ELSE '' END,
           'kinds', kinds, 'missing_records', missing_records,
           'sequence_before', sequence_before, 'sequence_after', sequence_after,
           'last_event_before', event_before, 'first_event_after', event_after,
           'gap_start_local', local_start, 'gap_end_local', local_end, 'silent_minutes', silent_minutes,
           'min_gap_minutes', CAST(threshold('log_gap', 'min_gap_minutes') AS INTEGER),
           'policy_citation', 'FBI CJIS Security Policy § 5.4.1 (auditable events) and § 5.4.3 (response to audit processing failures)',
           'source_lines', json_array(source_of(batch_before, line_before), source_of(batch_after, line_after))
       ) AS evidence
FROM described
