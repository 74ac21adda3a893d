-- A lookup of a person who, at that moment, had no arrest on record: a victim, witness or
-- bystander whose data the arrest database is not for.
-- A person's first arrest decides it for every lookup, so the lookups are matched against one row
-- per person rather than each against all of the person's arrests.
WITH first_arrests AS (
    SELECT person_id, min(arrest_ts) AS first_arrest_ts FROM arrests GROUP BY person_id)
SELECT 'access_event' AS subject_type, e.event_id AS subject_id, e.resolved_account AS account_id,
       e.subject_person_id AS person_id, e.event_ts, NULL::TIMESTAMPTZ AS window_start,
       'Account ' || e.resolved_account || ' looked up person ' || e.subject_person_id ||
           ', who had no arrest on record' AS summary,
       json_merge_patch(access_facts(e), json_object(
           'reason', 'Person ' || e.subject_person_id || ' had no arrest recorded at or before the lookup.',
           'policy_citation', 'City of Philadelphia, 2018: ICE''s PARS searches reached people never charged; the 2010 cut-off of court data on victims and witnesses',
           'source_lines', json_array(source_of(e.batch_id, e.source_line)))) AS evidence
FROM access_enriched e
LEFT JOIN first_arrests r ON r.person_id = e.subject_person_id
WHERE e.is_lookup AND e.is_primary
  AND e.subject_person_id IS NOT NULL
  AND (r.first_arrest_ts IS NULL OR r.first_arrest_ts > e.event_ts)
  AND e.event_ts >= $month_start AND e.event_ts < $month_end
