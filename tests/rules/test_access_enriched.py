"""`access_enriched` as an evaluation reads it: one statement, one finding, and the live views back
once the evaluation is over (`computed_once` in compliance/rules/engine.py)."""
from compliance import warehouse
from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules
from compliance.rules.engine import evaluate_month, load_sample
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
