"""MariaDB server_audit file logs: one event per QUERY, TABLE and connection record."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.sources.formats import ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audit_logs"
# A statement as the client sent it, and as server_audit writes it (\b \t \n \f \r \' \\ escaped).
SENT = "SELECT *\r\n\tFROM persons WHERE last_name = 'O\\'Brien, \"Jr\"' -- José\nAND 1 = 1"
LOGGED = "'SELECT *\\r\\n\\tFROM persons WHERE last_name = \\'O\\\\\\'Brien, \"Jr\"\\' -- José\\nAND 1 = 1'"

LOG = f"""20240305 14:22:30,pars-db,ice_user,10.1.2.3,7,0,CONNECT,pars,,0
20240305 14:22:31,pars-db,ice_user,10.1.2.3,7,12,READ,pars,persons,
20240305 14:22:31,pars-db,ice_user,10.1.2.3,7,12,READ,mysql,column_stats,
20240305 14:22:31,pars-db,ice_user,10.1.2.3,7,12,QUERY,pars,{LOGGED},0
20240305 14:22:40,pars-db,ice_user,10.1.2.3,7,13,QUERY,pars,'DELETE FROM audit_log',1142
20240305 14:22:41,pars-db,ice_user,10.1.2.3,7,14,WRITE,pars,arrests,
20240305 14:22:41,pars-db,ice_user,10.1.2.3,7,14,QUERY,pars,'UPDATE arrests SET note = \\'x\\' WHERE person_id = \\'P7\\'',0
20240305 14:22:50,pars-db,ice_user,10.1.2.3,7,0,DISCONNECT,pars,,0
20240305 14:23:00,pars-db,ice_user,10.9.9.9,8,0,FAILED_CONNECT,,,1045

this line is not a server_audit record
"""


@pytest.fixture
def con():
    connection = warehouse.memory()
    yield connection
    connection.close()


def test_every_record_is_one_event_with_its_statement_unescaped(con, tmp_path):
    path = tmp_path / "server_audit.log"
    path.write_bytes(LOG.encode("utf-8"))
    result = ingest(con, path, "mariadb-audit", "America/New_York", source_name="pars_mariadb")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_ignored) == (11, 9, 1, 1)
    assert result.ignored_reasons == {"blank line": 1}
    assert con.execute("SELECT line_no, reason FROM quarantine").fetchall() == [(11, "not a server_audit record")]
    rows = con.execute("""
        SELECT source_line, source_action, action, outcome, account_id, client_addr, statement, objects,
               subject_person_id, extra ->> 'record_kind'
        FROM access_events ORDER BY source_line""").fetchall()
    assert rows == [
        (1, "CONNECT", "login", "success", "ice_user", "10.1.2.3", None, None, None, "connection"),
        # TABLE records come first and carry the statement of the QUERY they belong to.
        (2, "READ", "search", "success", "ice_user", "10.1.2.3", SENT, "pars.persons", None, "table"),
        (3, "READ", "search", "success", "ice_user", "10.1.2.3", SENT, "mysql.column_stats", None, "table"),
        (4, "QUERY", "search", "success", "ice_user", "10.1.2.3", SENT, "pars.persons", None, "query"),
        (5, "QUERY", "delete", "failure", "ice_user", "10.1.2.3", "DELETE FROM audit_log", "audit_log", None,
         "query"),
        (6, "WRITE", "update", "success", "ice_user", "10.1.2.3",
         "UPDATE arrests SET note = 'x' WHERE person_id = 'P7'", "pars.arrests", "P7", "table"),
        (7, "QUERY", "update", "success", "ice_user", "10.1.2.3",
         "UPDATE arrests SET note = 'x' WHERE person_id = 'P7'", "pars.arrests", "P7", "query"),
        (8, "DISCONNECT", "logout", "success", "ice_user", "10.1.2.3", None, None, None, "connection"),
        (9, "FAILED_CONNECT", "login_failed", "failure", "ice_user", "10.9.9.9", None, None, None, "connection"),
    ]
    # Every TABLE record points at its QUERY's event.
    assert con.execute("""
        SELECT count(*) FROM access_events t JOIN access_events q ON q.event_id = t.extra ->> 'statement_ref'
        WHERE t.source_action IN ('READ', 'WRITE') AND q.source_action = 'QUERY'
          AND q.extra ->> 'query_id' = t.extra ->> 'query_id'""").fetchall() == [(3,)]


def test_timestamps_without_offset_are_read_in_source_tz(con, tmp_path):
    path = tmp_path / "server_audit.log"
    path.write_bytes(LOG.encode("utf-8"))
    ingest(con, path, "mariadb-audit", "America/New_York")
    first = con.execute("SELECT min(event_ts) FROM access_events").fetchall()[0][0]
    assert first == dt.datetime(2024, 3, 5, 19, 22, 30, tzinfo=dt.timezone.utc)


def test_mariadb_12_host_port_and_connection_type(con):
    result = ingest(con, FIXTURES / "mariadb12_server_audit.log", "mariadb-audit", "UTC")
    assert (result.rows_loaded, result.rows_quarantined) == (5, 0)
    rows = con.execute("""SELECT action, client_addr, subject_person_id, case_number, purpose_code,
                                 extra ->> 'connection_type' FROM access_events ORDER BY source_line""").fetchall()
    assert rows == [
        ("login", "10.0.0.5", None, None, None, "TCP/IP"),
        ("view", "10.0.0.5", "P42", "CP-51-CR-0000042-2024", "C", None),
        ("view", "10.0.0.5", "P42", "CP-51-CR-0000042-2024", "C", None),
        ("logout", "10.0.0.5", None, None, None, "TCP/IP"),
        ("login_failed", "10.0.0.9", None, None, None, "TCP/IP"),
    ]


def test_event_ids_are_stable_across_reingest(con, tmp_path):
    path = tmp_path / "server_audit.log"
    path.write_bytes(LOG.encode("utf-8"))
    ingest(con, path, "mariadb-audit", "UTC")
    first = con.execute("SELECT event_id FROM access_events ORDER BY source_line").fetchall()
    other = warehouse.memory()
    try:
        # The same records in a rotated file with one more line in front keep their ids.
        rotated = tmp_path / "server_audit.log.1"
        rotated.write_bytes(("20240305 14:00:00,pars-db,app,10.0.0.1,3,0,CONNECT,pars,,0\n" + LOG).encode("utf-8"))
        ingest(other, rotated, "mariadb-audit", "UTC")
        again = other.execute("SELECT event_id FROM access_events ORDER BY source_line").fetchall()
    finally:
        other.close()
    assert again[1:] == first
    assert len({r[0] for r in first}) == len(first)


def test_use_database_touches_no_table(con, tmp_path):
    """``USE `pars` `` switches the session's database: it reads nothing, so it names no object."""
    path = tmp_path / "server_audit.log"
    path.write_text("20240305 14:22:30,pars-db,ice_user,10.1.2.3,7,11,QUERY,,'USE `pars`',0\n"
                    "20240305 14:22:31,pars-db,ice_user,10.1.2.3,7,12,QUERY,pars,'SELECT * FROM persons',0\n")
    ingest(con, path, "mariadb-audit", "America/New_York", source_name="pars_mariadb")
    assert con.execute("SELECT action, objects FROM access_events ORDER BY source_line").fetchall() == [
        ("other", None), ("search", "persons")]
