-- The month's flags per rule: how many, and the rule versions that computed them (the IG report
-- details only the first few of each rule and states the rest from these counts).
SELECT rule_id, any_value(category) AS category, any_value(severity) AS severity, count(*) AS flags,
       list(DISTINCT rule_version ORDER BY rule_version) AS versions
FROM flags
WHERE month = $month
GROUP BY rule_id
ORDER BY rule_id
