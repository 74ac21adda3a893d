-- Helpers every rule may use. The policy pack's install (compliance/policy/pack.py) defines
-- pack_tz(), pack_setting(name) and threshold(rule, name) beforehand.
-- 00:00 local on a calendar day, as an instant.
CREATE OR REPLACE TEMP MACRO local_midnight(day) AS timezone(pack_tz(), CAST(day AS TIMESTAMP));
-- Where a row came from: the file and the physical line (for evidence).
CREATE OR REPLACE TEMP MACRO source_of(batch, line) AS
    json_object('file', (SELECT src_batch.path FROM batches src_batch WHERE src_batch.batch_id = batch),
                'line', line);
-- Docket-style subsection "A1II" or "(a)(1)(ii)" as tokens ['A', '1', 'II'], so that
-- (a)(1)(i) is not mistaken for a prefix of (a)(1)(iv).
CREATE OR REPLACE TEMP MACRO statute_tokens(sub) AS
    regexp_extract_all(upper(coalesce(sub, '')), '[A-Z]\.[0-9]+|[0-9]+|[IVXL]+|[A-Z]');
-- The facts every access flag shows about its event.
CREATE OR REPLACE TEMP MACRO access_facts(e) AS json_object(
    'event_local_time', strftime(e.local_ts, '%Y-%m-%d %H:%M:%S'), 'account', e.resolved_account,
    'agency', e.agency, 'agency_kind', e.agency_kind, 'action', e.action,
    'source_action', e.source_action, 'client_addr', e.client_addr, 'subject_person_id', e.subject_person_id,
    'search_terms', e.search_terms, 'statement', e.statement, 'objects', e.objects,
    'purpose_code', e.purpose_code, 'case_number', e.case_number, 'result_count', e.result_count,
    'outcome', e.outcome, 'source', e.source);
-- Docket descriptions compared without case or punctuation: "Robbery-Inflict Threat Imm Bod Inj".
CREATE OR REPLACE TEMP MACRO description_key(text) AS
    trim(regexp_replace(lower(coalesce(text, '')), '[^a-z0-9]+', ' ', 'g'));
-- Window rules group their qualifying starts into bursts: a start more than `minutes` after the
-- previous one opens a new burst (summed over the account's starts, it numbers the bursts).
CREATE OR REPLACE TEMP MACRO opens_burst(ts, previous, minutes) AS
    CASE WHEN previous IS NULL OR ts - previous > to_minutes(CAST(minutes AS INTEGER)) THEN 1 ELSE 0 END;
-- A flag's stable id: the first 20 hex digits of sha256(rule|subject type|subject id|window start),
-- the window start written as Python's isoformat of the UTC instant (how ids were first made).
CREATE OR REPLACE TEMP MACRO iso_utc(ts) AS
    strftime(timezone('UTC', ts), '%Y-%m-%dT%H:%M:%S')
    || CASE WHEN microsecond(ts) % 1000000 <> 0 THEN '.' || lpad(CAST(microsecond(ts) % 1000000 AS VARCHAR), 6, '0') ELSE '' END
    || '+00:00';
CREATE OR REPLACE TEMP MACRO flag_id(rule, subject_type, subject_id, window_start) AS
    substr(sha256(rule || '|' || subject_type || '|' || subject_id || '|' || coalesce(iso_utc(window_start), '')), 1, 20);
-- A local time of day inside one of the windows "HH:MM-HH:MM" (an overnight window such as
-- 22:00-02:00 wraps past midnight; 24:00 is the end of the day).
CREATE OR REPLACE TEMP MACRO in_any_window(local_time, windows) AS
    len(list_filter(windows, lambda w:
        CASE WHEN CAST(split_part(w, '-', 1) AS TIME) <= CAST(replace(split_part(w, '-', 2), '24:00', '23:59:59.999999') AS TIME)
             THEN local_time >= CAST(split_part(w, '-', 1) AS TIME)
                  AND local_time < CAST(replace(split_part(w, '-', 2), '24:00', '23:59:59.999999') AS TIME)
             ELSE local_time >= CAST(split_part(w, '-', 1) AS TIME)
                  OR local_time < CAST(split_part(w, '-', 2) AS TIME) END)) > 0;
