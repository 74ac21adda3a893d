-- The month's flags by rule, category and standing disposition ('' while under review), for the
-- reports' review progress and the committee's split (docs/review.md). Reads the temp view
-- `flag_states` (flag_states.sql).
SELECT rule_id, category, disposition, exception_id <> '' AS by_exception, count(*) AS flags
FROM flag_states
WHERE still_raised
GROUP BY ALL
ORDER BY ALL
