-- Flags of the month by category and severity.
SELECT category, severity, count(*) AS flags
FROM flags WHERE month = $month
GROUP BY category, severity
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'informational'], severity), category
