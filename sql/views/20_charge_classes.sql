-- Each charge judged against the pack's conviction test, before timing is considered:
-- qualifying (convicted, qualifying grade, violent), not_qualifying, or undecidable (with a reason).
CREATE OR REPLACE TEMP VIEW charge_classes AS
WITH matched AS (
    SELECT c.*, p.title, p.section, p.subsection, p.tokens, p.grade_in_text,
           o.violent, o.grey, o.default_grade, o.description AS offense_name, o.citation AS offense_citation,
           row_number() OVER (PARTITION BY c.charge_id ORDER BY len(statute_tokens(o.subsection)) DESC NULLS LAST) AS pick
    FROM charges c
    JOIN charge_parts p USING (charge_id)
    LEFT JOIN policy_offenses o
      ON o.title = p.title AND o.section = p.section
     AND list_slice(p.tokens, 1, len(statute_tokens(o.subsection))) = statute_tokens(o.subsection)),
graded AS (
    SELECT *, lower(trim(coalesce(disposition, ''))) AS disposition_norm,
           coalesce(nullif(upper(trim(grade)), ''), grade_in_text, default_grade) AS grade_effective
    FROM matched WHERE pick = 1)
SELECT *,
    CASE
        WHEN list_contains(CAST(pack_setting('known_dispositions') AS VARCHAR[]), disposition_norm)
             AND NOT list_contains(CAST(pack_setting('convicted_dispositions') AS VARCHAR[]), disposition_norm)
            THEN 'not_qualifying'
        WHEN grade_effective IS NOT NULL
             AND list_contains(CAST(pack_setting('known_grades') AS VARCHAR[]), grade_effective)
             AND NOT list_contains(CAST(pack_setting('qualifying_grades') AS VARCHAR[]), grade_effective)
            THEN 'not_qualifying'
        WHEN NOT list_contains(CAST(pack_setting('known_dispositions') AS VARCHAR[]), disposition_norm)
            THEN 'undecidable'
        WHEN grade_effective IS NULL
             OR NOT list_contains(CAST(pack_setting('known_grades') AS VARCHAR[]), grade_effective)
            THEN 'undecidable'
        WHEN title = '18' AND section IN ('901', '902', '903') THEN 'undecidable'
        WHEN violent IS NULL THEN 'undecidable'
        WHEN grey THEN 'undecidable'
        WHEN violent THEN 'qualifying'
        ELSE 'not_qualifying'
    END AS conviction_class,
    CASE
        WHEN list_contains(CAST(pack_setting('known_dispositions') AS VARCHAR[]), disposition_norm)
             AND NOT list_contains(CAST(pack_setting('convicted_dispositions') AS VARCHAR[]), disposition_norm)
            THEN 'no conviction (' || coalesce(nullif(disposition_norm, ''), 'none') || ')'
        WHEN grade_effective IS NOT NULL
             AND list_contains(CAST(pack_setting('known_grades') AS VARCHAR[]), grade_effective)
             AND NOT list_contains(CAST(pack_setting('qualifying_grades') AS VARCHAR[]), grade_effective)
            THEN 'grade ' || grade_effective || ' is not a first- or second-degree felony'
        WHEN NOT list_contains(CAST(pack_setting('known_dispositions') AS VARCHAR[]), disposition_norm)
            THEN 'disposition ''' || coalesce(disposition, '') || ''' is outside the known set'
        WHEN grade_effective IS NULL
             OR NOT list_contains(CAST(pack_setting('known_grades') AS VARCHAR[]), grade_effective)
            THEN 'grade ''' || coalesce(grade, '') || ''' is unknown'
        WHEN title = '18' AND section IN ('901', '902', '903')
            THEN 'inchoate offense: the object offense must be read from the docket'
        WHEN violent IS NULL THEN 'statute not in the offense table'
        WHEN grey THEN 'grey list: ' || offense_name
        WHEN violent THEN 'violent ' || grade_effective || ': ' || offense_name
        ELSE 'not an offense involving violence: ' || offense_name
    END AS class_reason
FROM graded;
