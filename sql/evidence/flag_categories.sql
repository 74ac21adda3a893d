-- The month's flags per category in the warehouse, to compare with a version's counts.
SELECT category, count(*) AS flags FROM flags WHERE month = $month GROUP BY category ORDER BY category
