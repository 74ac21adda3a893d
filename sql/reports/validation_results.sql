-- Expectations checked for the month.
SELECT table_name, expectation, blocking, success, observed, details
FROM validation_runs WHERE month = $month
ORDER BY NOT success DESC, blocking DESC, table_name, expectation
