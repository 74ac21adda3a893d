-- Flags per month, rule, category and severity over the trend window [$first_month, $month].
SELECT month, rule_id, category, severity, count(*) AS flags
FROM flags
WHERE month >= $first_month AND month <= $month
GROUP BY ALL
ORDER BY month, rule_id, category, severity
