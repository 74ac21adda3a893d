-- Access events with the account they resolve to (account_map first, by source and database user),
-- the account's attributes, local time, the client host without its port, and the text the
-- pattern rules read (search terms, statement, tables touched).
CREATE OR REPLACE TEMP VIEW access_enriched AS
SELECT e.*,
       coalesce(m.account_id, e.account_id) AS resolved_account,
       a.account_id IS NOT NULL AS registered,
       a.agency, a.agency_kind, a.access_start, a.access_end,
       coalesce(a.can_write, false) AS can_write,
       coalesce(nullif(a.work_hours, ''), pack_setting('work_hours') ->> '$') AS work_hours,
       timezone(pack_tz(), e.event_ts) AS local_ts,
       CAST(timezone(pack_tz(), e.event_ts) AS DATE) AS local_day,
       -- "10.1.2.3:52344" and "[::1]:5432" name the same host as "10.1.2.3" and "::1".
       CASE WHEN e.client_addr LIKE '[%]%' THEN regexp_extract(e.client_addr, '^\[([^\]]*)\]', 1)
            WHEN length(e.client_addr) - length(replace(e.client_addr, ':', '')) = 1
                THEN split_part(e.client_addr, ':', 1)
            ELSE e.client_addr END AS client_host,
       lower(coalesce(e.action, 'other')) AS action_norm,
       lower(coalesce(e.action, '')) IN ('search', 'view', 'export') AS is_lookup,
       lower(concat_ws(' ', e.search_terms, e.statement, e.objects)) AS pattern_text
FROM access_events e
LEFT JOIN account_map m ON m.source = e.source AND m.db_user = e.account_id
LEFT JOIN accounts a ON a.account_id = coalesce(m.account_id, e.account_id);
