-- Each charge judged against the pack's conviction test, before timing is considered:
-- qualifying (convicted, qualifying grade, violent), not_qualifying, or undecidable (with a reason).
CREATE OR REPLACE TEMP VIEW charge_classes AS
WITH base AS (
    SELECT c.*, p.title, p.section, p.subsection, p.tokens, p.grade_in_text,
           list_contains(CAST(pack_setting('inchoate_sections') AS VARCHAR[]), p.title || ' ' || p.section)
               AS inchoate,
           -- "Conspiracy - Robbery-Threat Immed Ser Injury" names its object offense.
           description_key(regexp_replace(coalesce(c.description, ''),
               '^\s*(criminal\s+)?(conspiracy|attempt|solicitation)(\s+to\s+commit)?\s*[-:]?\s*', '', 'i'))
               AS object_key
    FROM charges c JOIN charge_parts p USING (charge_id)),
by_citation AS (
    SELECT b.charge_id, o.*,
           row_number() OVER (PARTITION BY b.charge_id ORDER BY len(statute_tokens(o.subsection)) DESC) AS pick
    FROM base b JOIN policy_offenses o
      ON NOT b.inchoate AND o.title = b.title AND o.section = b.section
     AND list_slice(b.tokens, 1, len(statute_tokens(o.subsection))) = statute_tokens(o.subsection)),
by_description AS (
    SELECT b.charge_id, o.*,
           row_number() OVER (PARTITION BY b.charge_id ORDER BY len(statute_tokens(o.subsection)) DESC) AS pick
    FROM base b
    JOIN policy_offense_descriptions d ON description_key(d.description) = b.object_key
    JOIN policy_offenses o
      ON o.title = d.title AND o.section = d.section
     AND list_slice(statute_tokens(d.subsection), 1, len(statute_tokens(o.subsection))) = statute_tokens(o.subsection)),
matched AS (
    SELECT b.*,
           CASE WHEN c.charge_id IS NOT NULL THEN 'citation' WHEN d.charge_id IS NOT NULL THEN 'description' END
               AS matched_by,
           CASE WHEN c.charge_id IS NOT NULL THEN c.violent ELSE d.violent END AS violent,
           CASE WHEN c.charge_id IS NOT NULL THEN c.grey ELSE d.grey END AS grey,
           CASE WHEN c.charge_id IS NOT NULL THEN c.default_grade ELSE d.default_grade END AS default_grade,
           CASE WHEN c.charge_id IS NOT NULL THEN c.description ELSE d.description END AS offense_name,
           CASE WHEN c.charge_id IS NOT NULL THEN c.citation ELSE d.citation END AS offense_citation
    FROM base b
    LEFT JOIN by_citation c ON c.charge_id = b.charge_id AND c.pick = 1
    LEFT JOIN by_description d ON d.charge_id = b.charge_id AND d.pick = 1),
graded AS (
    SELECT *, lower(trim(coalesce(disposition, ''))) AS disposition_norm,
           coalesce(nullif(upper(trim(grade)), ''), grade_in_text, default_grade) AS grade_effective
    FROM matched)
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
        WHEN inchoate AND matched_by IS NULL THEN 'undecidable'
        WHEN violent IS NULL AND (section IS NULL OR pack_setting('unlisted_offenses') ->> '$' = 'needs_review')
            THEN 'undecidable'
        WHEN violent IS NULL THEN 'not_qualifying'
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
        WHEN inchoate AND matched_by IS NULL
            THEN 'inchoate offense whose object offense the docket does not name'
        WHEN violent IS NULL AND section IS NULL THEN 'the citation cannot be read and the description names no known offense'
        WHEN violent IS NULL AND pack_setting('unlisted_offenses') ->> '$' = 'needs_review'
            THEN 'statute not in the offense table'
        WHEN violent IS NULL
            THEN 'not on the pack''s list of offenses involving violence (42 Pa.C.S. § 9714(g) and murder)'
        WHEN grey THEN 'grey list: ' || CASE WHEN inchoate THEN 'inchoate, object ' ELSE '' END || offense_name
        WHEN violent THEN 'violent ' || grade_effective || ': ' || CASE WHEN inchoate THEN 'inchoate, object ' ELSE '' END || offense_name
        ELSE 'not an offense involving violence: ' || CASE WHEN inchoate THEN 'inchoate, object ' ELSE '' END || offense_name
    END AS class_reason
FROM graded;
