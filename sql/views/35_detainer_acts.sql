-- The acts a policy governs, one row per detainer and act (hold, notice), each with the policy
-- version in force when it happened: a hold at release eligibility (failing that, the recorded
-- action or the transfer), a notice when it was sent.
CREATE OR REPLACE TEMP VIEW detainer_acts AS
WITH acts AS (
    SELECT t.*, 'hold' AS act, coalesce(t.eligible_at, t.action_at, t.transferred_at) AS act_at
    FROM detainer_timeline t WHERE t.hold_happened
    UNION ALL
    SELECT t.*, 'notice' AS act, t.notice_at AS act_at
    FROM detainer_timeline t WHERE t.notice_given)
SELECT a.*, v.version_id, v.title AS version_title, v.citation AS version_citation,
       CASE a.act WHEN 'hold' THEN v.hold_restricted ELSE v.notice_restricted END AS restricted,
       CASE a.act WHEN 'hold' THEN v.hold_needs_conviction ELSE v.notice_needs_conviction END AS needs_conviction,
       CASE a.act WHEN 'hold' THEN v.hold_needs_warrant ELSE v.notice_needs_warrant END AS needs_warrant,
       CASE a.act WHEN 'hold' THEN 'violation' ELSE v.notice_when_not_met END AS when_not_met,
       -- A conviction counts when decided at or before release eligibility (else the act itself).
       CAST(timezone(pack_tz(), coalesce(a.eligible_at, a.act_at)) AS DATE) AS conviction_cutoff
FROM acts a
LEFT JOIN policy_versions v
  ON a.act_at >= v.effective_from AND (v.effective_to IS NULL OR a.act_at < v.effective_to);
