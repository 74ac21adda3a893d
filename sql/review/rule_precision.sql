-- Rule precision from reviews (docs/review.md): for each rule, the flags whose latest decision is
-- a person's review, how many were confirmed and how many were false positives. A reopened flag
-- counts again once it is decided; exceptions decide nothing here (they are not stored as
-- decisions).
SELECT d.rule_id,
       count(*) AS reviewed,
       sum(CASE WHEN d.disposition = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
       sum(CASE WHEN d.disposition = 'false_positive' THEN 1 ELSE 0 END) AS false_positive
FROM decisions d
JOIN (SELECT flag_id, max(seq) AS seq FROM decisions GROUP BY flag_id) last ON last.seq = d.seq
WHERE d.action = 'review'
GROUP BY d.rule_id
ORDER BY d.rule_id
