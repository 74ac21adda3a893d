-- The month's failed expectations, blocking first, with what each check protects.
SELECT table_name, expectation, blocking, observed,
       json_extract_string(details, '$.type') AS type, json_extract_string(details, '$.why') AS why
FROM validation_runs
WHERE month = $month AND NOT success
ORDER BY NOT blocking, table_name, expectation
