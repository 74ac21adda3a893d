-- Helpers every rule may use. policy_settings is installed from the policy pack beforehand.
CREATE OR REPLACE TEMP MACRO pack_tz() AS (SELECT settings ->> 'timezone' FROM policy_settings);
CREATE OR REPLACE TEMP MACRO pack_setting(name) AS (SELECT settings -> name FROM policy_settings);
-- 00:00 local on a calendar day, as an instant.
CREATE OR REPLACE TEMP MACRO local_midnight(day) AS timezone(pack_tz(), CAST(day AS TIMESTAMP));
-- Where a row came from: the file and the physical line (for evidence).
CREATE OR REPLACE TEMP MACRO source_of(batch, line) AS
    json_object('file', (SELECT b.path FROM batches b WHERE b.batch_id = batch), 'line', line);
-- Docket-style subsection "A1II" or "(a)(1)(ii)" as tokens ['A', '1', 'II'], so that
-- (a)(1)(i) is not mistaken for a prefix of (a)(1)(iv).
CREATE OR REPLACE TEMP MACRO statute_tokens(sub) AS
    regexp_extract_all(upper(coalesce(sub, '')), '[A-Z]\.[0-9]+|[0-9]+|[IVXL]+|[A-Z]');
