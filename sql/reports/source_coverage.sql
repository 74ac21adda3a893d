-- Whether each source the pack's report relies on (policy_report_sources) delivered for every
-- local day of the month it is expected to (docs/policy-packs.md, "Report sources"): one row per
-- source with its expected and covered days and the days it missed. A day is covered by rows on
-- it (coverage_days) or by a file of the source named for that day; a monthly source is covered
-- by rows on any day of the month or by a file named for the month (a header-only file is a
-- delivery of nothing). Access events name their source in each row, so a file counts for an
-- access source only where its batch names that source (a database log loaded as it).
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM range(CAST(CAST(timezone($tz, $month_start) AS DATE) AS TIMESTAMP),
               CAST(CAST(timezone($tz, $month_end) AS DATE) AS TIMESTAMP), INTERVAL 1 DAY) r(d)),
expected AS (
    SELECT s.name, s.table_name, s.source, s.delivers, s.why, d.day
    FROM policy_report_sources s CROSS JOIN days d
    WHERE s.delivers IN ('daily', 'monthly')
       OR (s.delivers = 'weekdays' AND isodow(d.day) <= 5)
       OR (s.delivers = 'business_days' AND isodow(d.day) <= 5
           AND d.day NOT IN (SELECT day FROM policy_holidays))),
files AS (
    SELECT s.name, regexp_extract(b.path, '[^/\\]*$') AS file_name
    FROM policy_report_sources s
    JOIN batches b ON b.table_name = s.table_name AND (s.source IS NULL OR b.source = s.source)),
judged AS (
    SELECT e.*,
           EXISTS (SELECT 1 FROM coverage_days c
                   WHERE c.table_name = e.table_name AND c.source = coalesce(e.source, e.table_name)
                     AND c.day = e.day AND c.rows_received > 0)
           OR EXISTS (SELECT 1 FROM files f
                      WHERE f.name = e.name
                        AND regexp_matches(f.file_name, '(^|[^0-9])' || strftime(e.day, '%Y-%m-%d') || '($|[^0-9])'))
           OR (e.delivers = 'monthly'
               AND EXISTS (SELECT 1 FROM files f
                           WHERE f.name = e.name
                             AND regexp_matches(f.file_name, '(^|[^0-9])' || $month || '($|[^-0-9])'))) AS covered
    FROM expected e),
per_source AS (
    SELECT name, table_name, source, delivers, why,
           count(*) AS expected_days, count(*) FILTER (WHERE covered) AS covered_days,
           list(strftime(day, '%Y-%m-%d') ORDER BY day) FILTER (WHERE NOT covered) AS missing_days
    FROM judged GROUP BY ALL)
SELECT name, table_name, source, delivers, why,
       -- A monthly source is delivered or not as a whole (one delivery expected, no days missed):
       -- any covered day covers the month.
       CASE WHEN delivers = 'monthly' THEN 1 ELSE expected_days END AS expected,
       CASE WHEN delivers = 'monthly' THEN (covered_days > 0)::INT ELSE covered_days END AS covered,
       CASE WHEN delivers = 'monthly' THEN []::VARCHAR[] ELSE coalesce(missing_days, []::VARCHAR[]) END AS missing_days,
       CASE WHEN delivers = 'monthly' THEN covered_days > 0 ELSE covered_days = expected_days END AS complete
FROM per_source
ORDER BY name
