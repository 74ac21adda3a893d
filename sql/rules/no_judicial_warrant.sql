-- A hold, transfer or notice that needed a judicial warrant under the version in force went ahead
-- without one. One flag per detainer, dated at its first such act.
WITH failing AS (
    SELECT a.*, row_number() OVER (PARTITION BY a.detainer_id ORDER BY a.act_at, a.act) AS nth,
           string_agg(a.act, ' and ') OVER (PARTITION BY a.detainer_id) AS acts
    FROM detainer_acts a
    WHERE a.restricted AND a.needs_warrant AND NOT a.has_judicial_warrant)
SELECT 'detainer' AS subject_type,
       f.detainer_id AS subject_id,
       NULL AS account_id,
       f.person_id,
       f.act_at AS event_ts,
       NULL::TIMESTAMPTZ AS window_start,
       'Detainer ' || f.detainer_id || ': ' || f.acts || ' without a judicial warrant under ' ||
           f.version_title || ' (attachments: ' || coalesce(nullif(f.attachments, ''), 'none') || ')' AS summary,
       json_object(
           'reason', 'The ' || f.acts || ' required a warrant signed by a judge under ' || f.version_title || '; the detainer carried only ' || coalesce(nullif(f.attachments, ''), 'no attachment') || ', and no DHS form, NCIC hit or immigration-judge order is a judicial warrant.',
           'policy_version', f.version_id,
           'policy_citation', f.version_citation,
           'warrant_rule', pack_setting('warrant_citation') ->> '$',
           'acts', f.acts,
           'first_act_at', f.act_at,
           'form_type', f.form_type,
           'attachments', f.attachments,
           'judicial_warrant_signed_by', f.judicial_warrant_signed_by,
           'source_lines', json_array(source_of(f.batch_id, f.source_line))
       ) AS evidence
FROM failing f
WHERE f.nth = 1
  AND f.act_at >= $month_start AND f.act_at < $month_end
