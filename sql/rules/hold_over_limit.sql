-- City custody continued past release eligibility for longer than the detainer limit (business
-- time only, time held for another agency excluded), even where the hold itself was allowed.
SELECT 'detainer' AS subject_type,
       a.detainer_id AS subject_id,
       NULL AS account_id,
       a.person_id,
       a.act_at AS event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Detainer ' || a.detainer_id || ': held ' || round(d.counted_seconds / 3600, 1) ||
           ' business hours after release eligibility (limit ' ||
           (pack_setting('hold_limit_hours') ->> '$') || ' hours)' AS summary,
       json_object(
           'reason', 'Custody continued ' || round(d.counted_seconds / 3600, 1) || ' hours after release eligibility, counting weekdays that are not federal holidays and leaving out time held for another agency; the limit is ' || (pack_setting('hold_limit_hours') ->> '$') || ' hours.',
           'policy_version', a.version_id,
           'policy_citation', pack_setting('hold_limit_citation') ->> '$',
           'release_eligible_at', d.eligible_at,
           'release_eligible_by', a.eligible_by,
           'custody_ended_at', d.custody_end_at,
           'custody_ended_by', d.custody_end_by,
           'business_hours_held', round(d.counted_seconds / 3600, 2),
           'limit_hours', CAST(pack_setting('hold_limit_hours') AS INTEGER),
           'source_lines', json_array(source_of(a.batch_id, a.source_line))
       ) AS evidence
FROM detainer_acts a
JOIN hold_durations d USING (detainer_id)
WHERE a.act = 'hold'
  AND d.counted_seconds > CAST(pack_setting('hold_limit_hours') AS INTEGER) * 3600
  AND a.act_at >= $month_start AND a.act_at < $month_end
