-- Per month of the trend window: whether its rules ran, and how its data-quality checks ended.
WITH evaluated AS (
    SELECT DISTINCT month FROM run_log
    WHERE step = 'evaluate' AND status = 'success' AND month >= $first_month AND month <= $month
    UNION
    SELECT DISTINCT month FROM flags WHERE month >= $first_month AND month <= $month),
checks AS (
    SELECT month, count(*) AS checks, count(*) FILTER (blocking AND NOT success) AS blocking_failures
    FROM validation_runs WHERE month >= $first_month AND month <= $month
    GROUP BY month)
SELECT month, evaluated.month IS NOT NULL AS evaluated, coalesce(checks, 0) AS checks,
       coalesce(blocking_failures, 0) AS blocking_failures
FROM evaluated FULL JOIN checks USING (month)
ORDER BY month
