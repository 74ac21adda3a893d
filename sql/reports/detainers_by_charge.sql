-- The detainers received in the month by the most serious charge on the person's booking: a table
-- of people by their own attributes, which the committee summary shows with small counts
-- suppressed. Grades as the charge feed records them; first- and second-degree felonies (and
-- murder) are the pack's qualifying grades.
WITH received AS (
    SELECT detainer_id, person_id, booking_id FROM detainers
    WHERE received_at >= $month_start AND received_at < $month_end),
ranked AS (
    SELECT r.detainer_id,
           min(CASE WHEN c.charge_id IS NULL THEN NULL
                    WHEN list_contains(CAST(pack_setting('qualifying_grades') AS VARCHAR[]), upper(trim(c.grade))) THEN 1
                    WHEN upper(trim(c.grade)) SIMILAR TO '(F|H)[0-9]*' THEN 2
                    ELSE 3 END) AS rank
    FROM received r
    LEFT JOIN charges c ON c.booking_id = r.booking_id AND c.person_id = r.person_id
    GROUP BY r.detainer_id)
SELECT count(*) FILTER (rank = 1) AS serious_felony,
       count(*) FILTER (rank = 2) AS other_felony,
       count(*) FILTER (rank = 3) AS misdemeanor_or_other,
       count(*) FILTER (rank IS NULL) AS no_charge
FROM ranked
