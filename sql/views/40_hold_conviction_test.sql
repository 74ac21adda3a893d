-- The conviction test of a hold: charges of the same person on the same booking, decided at or
-- before release eligibility (local calendar day).
CREATE OR REPLACE TEMP VIEW hold_conviction_test AS
SELECT h.detainer_id,
       coalesce(bool_or(c.conviction_class = 'qualifying'
                        AND c.disposition_date <= CAST(timezone(pack_tz(), h.hold_at) AS DATE)), false)
           AS has_qualifying,
       count(c.charge_id) FILTER (c.conviction_class = 'undecidable'
                                  OR (c.conviction_class = 'qualifying' AND c.disposition_date IS NULL))
           AS undecidable,
       coalesce(to_json(list(json_object(
           'charge_id', c.charge_id, 'statute', c.statute, 'grade', c.grade_effective,
           'disposition', c.disposition, 'disposition_date', c.disposition_date,
           'assessment', CASE WHEN c.conviction_class = 'qualifying'
                                   AND c.disposition_date > CAST(timezone(pack_tz(), h.hold_at) AS DATE)
                              THEN 'convicted only after release eligibility'
                              ELSE c.class_reason END,
           'source', source_of(c.batch_id, c.source_line)) ORDER BY c.charge_id)
           FILTER (c.charge_id IS NOT NULL)), '[]') AS charges
FROM detainer_holds h
LEFT JOIN charge_classes c ON c.booking_id = h.booking_id AND c.person_id = h.person_id
GROUP BY h.detainer_id;
