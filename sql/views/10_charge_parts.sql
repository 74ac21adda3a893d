-- Parse a statute as written ("18 § 2702 §§ A1 F1 Aggravated Assault", "18 Pa.C.S. § 2702(a)(1)",
-- "18 2702 A1", "35 P.S. § 780-113(a)(30)") into title, section, subsection tokens and any grade.
CREATE OR REPLACE TEMP VIEW charge_parts AS
WITH cleaned AS (
    SELECT charge_id,
           trim(regexp_replace(upper(coalesce(statute, '')),
                '\bPA\.?\s*C\.?\s*S\.?\s*A?\.?|\bP\.\s*S\.?|\bCONS\.?\s*STAT\.?', ' ', 'g')) AS s
    FROM charges),
split AS (
    SELECT charge_id,
           regexp_extract(s, '^(\d+)\s*§?\s*(\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?)\s*(.*)$',
                          ['title', 'section', 'rest']) AS p
    FROM cleaned),
sub AS (
    SELECT charge_id, p.title, p.section, trim(p.rest) AS rest,
           CASE
               WHEN trim(p.rest) LIKE '§§%' THEN regexp_extract(trim(p.rest), '^§§\s*([A-Z0-9.()]+\*?)', 1)
               WHEN trim(p.rest) LIKE '(%' THEN regexp_extract(trim(p.rest), '^((?:\([A-Z0-9.]+\))+)', 1)
               WHEN regexp_matches(trim(p.rest), '^(H1|H2|H3|F1|F2|F3|M1|M2|M3|F|M|S)(\s|$)') THEN ''
               ELSE regexp_extract(trim(p.rest), '^([A-Z](?:\.[0-9]+)?[0-9A-Z]*\*?)(\s|$)', 1)
           END AS subsection_text
    FROM split)
SELECT charge_id, nullif(title, '') AS title, nullif(section, '') AS section,
       replace(replace(replace(subsection_text, '(', ''), ')', ''), '*', '') AS subsection,
       statute_tokens(replace(replace(subsection_text, '(', ''), ')', '')) AS tokens,
       nullif(regexp_extract(trim(substr(rest, length(subsection_text) + 1 +
                                         CASE WHEN rest LIKE '§§%' THEN 2 ELSE 0 END)),
                             '^\s*(H1|H2|H3|F1|F2|F3|M1|M2|M3|F|M|S)(\s|$)', 1), '') AS grade_in_text
FROM sub;
