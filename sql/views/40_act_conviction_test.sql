-- The conviction test of each act: charges of the same person on the same booking, decided at or
-- before the cutoff day. undecidable counts charges the data cannot settle.
CREATE OR REPLACE TEMP VIEW act_conviction_test AS
SELECT a.detainer_id, a.act,
       coalesce(bool_or(c.conviction_class = 'qualifying' AND c.disposition_date <= a.conviction_cutoff), false)
           AS has_qualifying,
       count(c.charge_id) FILTER (c.conviction_class = 'undecidable'
                                  OR (c.conviction_class = 'qualifying' AND c.disposition_date IS NULL))
           AS undecidable,
       coalesce(to_json(list(json_object(
           'charge_id', c.charge_id, 'statute', c.statute,
           'citation', readable_citation(c.title, c.section, c.tokens),
           'offense', coalesce(c.offense_name, c.description), 'grade', c.grade_effective,
           'disposition', c.disposition, 'disposition_date', c.disposition_date,
           'assessment', CASE WHEN c.conviction_class = 'qualifying' AND c.disposition_date > a.conviction_cutoff
                              THEN 'convicted only after release eligibility'
                              WHEN c.conviction_class = 'qualifying' AND c.disposition_date IS NULL
                              THEN 'conviction without a disposition date'
                              ELSE c.class_reason END,
           'source', source_of(c.batch_id, c.source_line)) ORDER BY c.charge_id)
           FILTER (c.charge_id IS NOT NULL)), '[]') AS charges
FROM detainer_acts a
LEFT JOIN charge_classes c ON c.booking_id = a.booking_id AND c.person_id = a.person_id
GROUP BY a.detainer_id, a.act;
