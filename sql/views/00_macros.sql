-- Helpers every rule may use. The policy pack's install (compliance/policy/pack.py) defines
-- pack_tz(), pack_setting(name) and threshold(rule, name) beforehand.
-- 00:00 local on a calendar day, as an instant.
CREATE OR REPLACE TEMP MACRO local_midnight(day) AS timezone(pack_tz(), CAST(day AS TIMESTAMP));
-- An instant's wall-clock time in the pack's zone. An evaluation redefines it for the instants it
-- judges with the zone's offsets written out (compliance/rules/views.py, `scope_local_time`): the
-- same values, without a zone lookup for each of a month's millions of events.
CREATE OR REPLACE TEMP MACRO local_time(ts) AS timezone(pack_tz(), ts);
-- Where a row came from: the file and the physical line (for evidence).
CREATE OR REPLACE TEMP MACRO source_of(batch, line) AS
    json_object('file', (SELECT src_batch.path FROM batches src_batch WHERE src_batch.batch_id = batch),
                'line', line);
-- Docket-style subsection "A1II" or "(a)(1)(ii)" as tokens ['A', '1', 'II'], so that
-- (a)(1)(i) is not mistaken for a prefix of (a)(1)(iv).
CREATE OR REPLACE TEMP MACRO statute_tokens(sub) AS
    regexp_extract_all(upper(coalesce(sub, '')), '[A-Z]\.[0-9]+|[0-9]+|[IVXL]+|[A-Z]');
-- A parsed statute as readers cite it: title, the pack's compilation for that title, section and
-- each subsection token in parentheses ("18 Pa.C.S. § 3502(a)(2)"); NULL when it could not be read.
CREATE OR REPLACE TEMP MACRO readable_citation(title, section, tokens) AS
    CASE WHEN section IS NOT NULL THEN
        concat_ws(' ', title, coalesce(pack_setting('citation_compilations') ->> title,
                                       pack_setting('citation_compilations') ->> 'default'))
        || ' § ' || section || array_to_string(list_transform(tokens, lambda t: '(' || lower(t) || ')'), '')
    END;
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
-- Windows of the day "HH:MM-HH:MM" as {start, stop} times (an overnight window such as
-- 22:00-02:00 wraps past midnight; 24:00 is the end of the day): parsed once per account, not
-- once per event, where a month's events are judged against them.
CREATE OR REPLACE TEMP MACRO time_windows(windows) AS
    list_transform(windows, lambda w: {'start': CAST(split_part(w, '-', 1) AS TIME),
                                       'stop': CAST(replace(split_part(w, '-', 2), '24:00', '23:59:59.999999') AS TIME)});
-- A local time of day inside one of the parsed windows.
CREATE OR REPLACE TEMP MACRO in_time_windows(local_time, bounds) AS
    len(list_filter(bounds, lambda b:
        CASE WHEN b.start <= b.stop THEN local_time >= b.start AND local_time < b.stop
             ELSE local_time >= b.start OR local_time < b.stop END)) > 0;
CREATE OR REPLACE TEMP MACRO in_any_window(local_time, windows) AS in_time_windows(local_time, time_windows(windows));
