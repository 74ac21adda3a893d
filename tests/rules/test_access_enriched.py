"""`access_enriched` as an evaluation reads it: one statement, one finding, and the live views back
once the evaluation is over (`computed_once` in compliance/rules/engine.py), and its local times."""
import datetime as dt

import pytest

from compliance import warehouse
from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules
from compliance.rules.engine import evaluate_month, load_sample
from compliance.rules.views import scope_local_time
from compliance.sources.canonical import CANONICAL
from compliance.sources.statements import stage_statements

CLERK = {"account_id": "clerk1", "agency": "Pennsylvania State Police", "agency_kind": "state",
         "access_start": "2015-01-01", "access_end": None}
STATEMENT = "SELECT * FROM arrests a JOIN persons p USING (person_id) WHERE p.person_id = 'P1'"


def lookup(event_id: str, ts: str = "2020-05-11T10:00:00-04:00", **fields) -> dict:
    """A search without a purpose code or a case number: a missing_purpose finding."""
    return {"event_id": event_id, "event_ts": ts, "account_id": "clerk1", "client_addr": "10.0.0.1",
            "action": "search", "subject_person_id": "P1", "search_terms": "", "case_number": "",
            "purpose_code": "", "result_count": 1, "outcome": "success", "sequence_no": 1, **fields}


def warehouse_with(events: list[dict]):
    con = warehouse.memory()
    load_sample(con, {"accounts": [CLERK], "access_events": events})
    stage_statements(con, "access_events", CANONICAL.dialect)
    return con


def missing_purpose_flags(con, month: str = "2020-05") -> list[str]:
    rules = [r for r in load_rules() if r.rule_id == "missing_purpose"]
    evaluate_month(con, load_pack(), month, rules)
    return [row[0] for row in con.execute("SELECT subject_id FROM flags WHERE month = ? ORDER BY subject_id",
                                          [month]).fetchall()]


def test_a_statement_logged_as_several_records_is_one_finding():
    con = warehouse_with([
        # pgaudit.log_relation: one record per relation, the first record is the statement's.
        lookup("PG1", source="pars_db", session_id="s1", statement=STATEMENT, objects="public.arrests"),
        lookup("PG2", source="pars_db", session_id="s1", statement=STATEMENT, objects="public.persons"),
        # MariaDB: the TABLE record comes first in the file and points at its QUERY.
        lookup("MT1", source="pars_mariadb", session_id="7", statement=STATEMENT, objects="pars.persons",
               extra='{"statement_ref": "MQ1"}'),
        lookup("MQ1", source="pars_mariadb", session_id="7", statement=STATEMENT, objects="pars.persons"),
        # The same statement in another session, or without one, is another execution.
        lookup("PG3", source="pars_db", session_id="s2", statement=STATEMENT),
        lookup("NS1", source="pars_db", statement=STATEMENT),
        lookup("NS2", source="pars_db", statement=STATEMENT),
        lookup("APP1"),
    ])
    assert missing_purpose_flags(con) == ["APP1", "MQ1", "NS1", "NS2", "PG1", "PG3"]
    con.close()



def test_after_an_evaluation_the_connection_reads_live_events_again():
    con = warehouse_with([lookup("E1")])
    assert missing_purpose_flags(con) == ["E1"]
    june = "2020-06-02T10:00:00-04:00"
    load_sample(con, {"access_events": [
        lookup("J1", ts=june, source="pars_db", session_id="s9", statement=STATEMENT,
               objects="public.arrests"),
        lookup("J2", ts=june, source="pars_db", session_id="s9", statement=STATEMENT,
               objects="public.persons")]})
    stage_statements(con, "access_events", CANONICAL.dialect)
    assert con.execute("SELECT event_id, is_primary, statement_tables FROM access_enriched "
                       "WHERE event_id LIKE 'J%' ORDER BY event_id").fetchall() == [
        ("J1", True, "arrests;persons"), ("J2", False, "arrests;persons")]
    assert con.execute("SELECT table_name FROM duckdb_tables() "
                       "WHERE table_name LIKE '%computed'").fetchall() == []
    assert missing_purpose_flags(con, "2020-06") == ["J1"]
    con.close()


@pytest.mark.parametrize("zone, low, high", [
    # Both of New York's changes in 2026, and a scope with none.
    ("America/New_York", "2026-02-20T00:00:00+00:00", "2026-04-10T00:00:00+00:00"),
    ("America/New_York", "2026-09-15T00:00:00+00:00", "2026-11-08T00:00:00+00:00"),
    ("America/New_York", "2026-06-01T00:00:00+00:00", "2026-07-01T00:00:00+00:00"),
    # Lord Howe Island moves its clocks by half an hour; Kathmandu is 5:45 ahead.
    ("Australia/Lord_Howe", "2026-03-20T00:00:00+00:00", "2026-04-20T00:00:00+00:00"),
    ("Asia/Kathmandu", "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"),
])
def test_an_evaluations_local_time_is_the_zones_own_inside_and_outside_its_scope(zone, low, high):
    con = warehouse.memory()
    con.execute(f"CREATE OR REPLACE TEMP MACRO pack_tz() AS '{zone}'")
    low, high = dt.datetime.fromisoformat(low), dt.datetime.fromisoformat(high)
    scope_local_time(con, low, high)
    assert "make_timestamp" in con.execute(
        "SELECT macro_definition FROM duckdb_functions() WHERE function_name = 'local_time'").fetchall()[0][0]
    # Every 7 minutes 30 seconds from a day before the scope to a day after it, and each instant
    # next to a change of offset.
    [(compared, differing)] = con.execute("""
        WITH instants AS (
            SELECT CAST($low AS TIMESTAMPTZ) - INTERVAL 1 DAY + to_seconds(450 * i) AS ts
            FROM range(0, CAST((epoch($high) - epoch($low) + 2 * 86400) / 450 AS BIGINT)) t(i)
            UNION ALL
            SELECT c.ts + to_microseconds(d)
            FROM (SELECT ts FROM (SELECT CAST($low AS TIMESTAMPTZ) + to_minutes(i) AS ts,
                         timezone(pack_tz(), ts) - CAST(timezone('UTC', ts) AS TIMESTAMP) AS off,
                         lag(off) OVER (ORDER BY ts) AS before
                  FROM range(0, CAST((epoch($high) - epoch($low)) / 60 AS BIGINT)) t(i))
                  WHERE off <> before) c, (VALUES (-1), (0), (1)) v(d))
        SELECT count(*), count(*) FILTER (WHERE local_time(ts) IS DISTINCT FROM timezone(pack_tz(), ts))
        FROM instants""", {"low": low, "high": high}).fetchall()
    assert compared > 5_000 and differing == 0
    con.close()
