-- The access events the access views read: all of them, unless an evaluation narrows them to the
-- months it judges (compliance/rules/engine.py, `scope_access`), so that a month's rules do not
-- re-read a warehouse's whole history.
CREATE OR REPLACE TEMP VIEW evaluation_events AS SELECT * FROM access_events;
