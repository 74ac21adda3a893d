-- Each registered account a service-account entry of the pack covers (docs/policy-packs.md,
-- "Service accounts"), with what applies to it: its own entry's lists, else its kind's. A list
-- neither declares is NULL (not judged); exempt_from is then empty.
CREATE OR REPLACE TEMP VIEW service_account_terms AS
SELECT a.account_id, a.agency_kind,
       coalesce(own.exempt_from, kind.exempt_from, []) AS exempt_from,
       coalesce(own.hosts, kind.hosts) AS hosts,
       coalesce(own.applications, kind.applications) AS applications,
       coalesce(own.person_read_windows, kind.person_read_windows) AS person_read_windows
FROM accounts a
LEFT JOIN policy_service_accounts own ON own.account_id = a.account_id
LEFT JOIN policy_service_accounts kind ON kind.agency_kind = a.agency_kind
WHERE own.account_id IS NOT NULL OR kind.agency_kind IS NOT NULL;
