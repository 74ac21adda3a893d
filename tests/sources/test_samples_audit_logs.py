"""The real public audit logs in ../shared/samples/audit_logs parse completely.

Every pgaudit AUDIT record and every server_audit record becomes one event whose statement is
byte-identical to the source: checked by re-encoding each parsed statement the way the server
wrote it, and against Python's own CSV reader as an independent parser. Everything else is
counted as ignored with a reason. The files are read in place (they are not ours to copy).
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from compliance import pipeline, warehouse
from compliance.sources import pgaudit
from compliance.sources.adapter import StageOptions

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "audit_logs"
CSVLOG = SAMPLES / "pgaudit_postgresql_csvlog_2015-08-12.csv"
MARIADB = SAMPLES / "mariadb_server_audit_2024-02-04.log"
REGRESSION = SAMPLES / "pgaudit_regression_expected_audit_records.txt"


@pytest.fixture(scope="module", autouse=True)
def samples_present():
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared samples missing in CI: {SAMPLES}")
        pytest.skip("the shared samples folder is not beside this checkout")


def pgaudit_csv_field(value: str) -> str:
    """pgaudit's append_valid_csv: quoted, inner quotes doubled, only when it must be."""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def server_audit_escape(text: str) -> str:
    """server_audit's escape_string for QUERY text."""
    table = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", "'": "\\'", "\\": "\\\\"}
    return "".join(table.get(ch, ch) for ch in text)


@pytest.fixture(scope="module")
def csvlog_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("csvlog")
    pipeline.ingest_files(home, [CSVLOG], source_tz="UTC", format="pgaudit-csvlog")
    return home


def test_csvlog_every_record_is_an_event_or_ignored_with_a_reason(csvlog_home):
    with open(CSVLOG, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    audit = [r for r in records if r[13].startswith("AUDIT: ")]
    connections = [r for r in records if r[13].startswith("connection authorized: ")]
    assert (len(records), len(audit)) == (222, 182)
    with warehouse.connect(csvlog_home) as con:
        read, loaded, quarantined, ignored, reasons = con.execute(
            "SELECT rows_read, rows_loaded, rows_quarantined, rows_ignored, ignored_reasons FROM batches"
        ).fetchall()[0]
        assert (read, loaded, quarantined, ignored) == (222, len(audit) + len(connections), 0,
                                                       222 - len(audit) - len(connections))
        assert set(json.loads(reasons)) == {
            "connection received", "server process message", "error message without access",
            "notice message without access"}
        assert con.execute("SELECT count(*) FROM access_events WHERE extra ->> 'audit_type' IS NOT NULL"
                           ).fetchall() == [(182,)]


def _audit_records(edge_whitespace: bool) -> list[list[str]]:
    """The csvlog's AUDIT records whose statement does (or does not) begin or end with whitespace."""
    with open(CSVLOG, encoding="utf-8", newline="") as handle:
        records = [r for r in csv.reader(handle) if r[13].startswith("AUDIT: ")]
    statements = [next(csv.reader([r[13][len("AUDIT: "):]]))[7] for r in records]
    return [r for r, s in zip(records, statements) if (s != s.strip()) == edge_whitespace]


def test_csvlog_statements_round_trip_byte_for_byte(csvlog_home):
    _assert_round_trip(csvlog_home, _audit_records(edge_whitespace=False), expected_count=177)


def test_csvlog_statements_keep_their_edge_whitespace(csvlog_home):
    _assert_round_trip(csvlog_home, _audit_records(edge_whitespace=True), expected_count=5)


def _assert_round_trip(csvlog_home, records: list[list[str]], expected_count: int) -> None:
    assert len(records) == expected_count
    with warehouse.connect(csvlog_home) as con:
        events = {row[0]: row[1:] for row in con.execute("""
            SELECT event_id, extra ->> 'audit_type', extra ->> 'statement_id', extra ->> 'substatement_id',
                   extra ->> 'audit_class', source_action, extra ->> 'object_type', extra ->> 'object_name',
                   statement, extra ->> 'parameter'
            FROM access_events""").fetchall()}
    first_text = {}  # (session, statement id, substatement id) -> the text its first record logged
    for record in records:
        fields = events[f"pgaudit-csvlog:{record[5]}:{record[6]}"]
        audit_type, stmt, sub, klass, command, object_type, object_name, statement, parameter = fields
        # Independent parser: Python's csv on the payload after "AUDIT: ".
        payload = next(csv.reader([record[13][len("AUDIT: "):]]))
        key = (record[5], payload[1], payload[2])
        if payload[7] == "<previously logged>":  # pgaudit.log_statement_once
            assert statement == first_text[key]
            logged = payload[7]
        else:
            assert statement == payload[7]
            first_text.setdefault(key, statement)
            logged = pgaudit_csv_field(statement)
        rebuilt = ",".join([audit_type, stmt, sub, klass, command, object_type or "",
                            pgaudit_csv_field(object_name or ""), logged, parameter])
        assert "AUDIT: " + rebuilt == record[13]


def test_csvlog_line_numbers_point_at_the_physical_line(csvlog_home):
    lines = CSVLOG.read_text(encoding="utf-8").split("\n")
    with warehouse.connect(csvlog_home) as con:
        rows = con.execute("SELECT event_id, source_line FROM access_events").fetchall()
    for event_id, line in rows:
        session, line_num = event_id.split(":")[1:]
        assert f",{session},{line_num}," in lines[line - 1]


def test_mariadb_every_record_is_an_event_with_its_exact_text(tmp_path):
    home = tmp_path / "home"
    pipeline.ingest_files(home, [MARIADB], source_tz="Asia/Jakarta", format="mariadb-audit")
    lines = MARIADB.read_text(encoding="utf-8").splitlines()
    with warehouse.connect(home) as con:
        assert con.execute("SELECT rows_read, rows_loaded, rows_quarantined, rows_ignored FROM batches"
                           ).fetchall() == [(969, 969, 0, 0)]
        events = dict(con.execute("SELECT source_line, statement FROM access_events "
                                  "WHERE source_action = 'QUERY'").fetchall())
        operations = dict(con.execute("SELECT source_action, count(*) FROM access_events GROUP BY ALL").fetchall())
    expected_operations = {}
    for line in lines:
        operation = line.split(",")[6]
        expected_operations[operation] = expected_operations.get(operation, 0) + 1
    assert operations == expected_operations
    queries = [(n, line) for n, line in enumerate(lines, 1) if line.split(",")[6] == "QUERY"]
    assert len(events) == len(queries) == 657
    for number, line in queries:
        logged = line.split(",", 8)[8].rsplit(",", 1)[0]
        assert "'" + server_audit_escape(events[number]) + "'" == logged


def test_regression_payloads_all_parse(tmp_path):
    """The regression output has no timestamps or users (ingest would refuse it for want of a user):
    only the payload parser is exercised."""
    con = warehouse.memory()
    try:
        con.execute("BEGIN")
        pgaudit.stage_stderr_with(con, REGRESSION, "", StageOptions(source="regression"))
        counts = dict(con.execute("""
            SELECT audit_type || '/' || audit_class, count(*) FROM pg_records WHERE kind = 'audit'
            GROUP BY ALL""").fetchall())
        assert con.execute("SELECT count(*) FROM pg_records WHERE kind <> 'audit'").fetchall() == [(0,)]
        assert counts == {"SESSION/DDL": 97, "SESSION/MISC": 78, "SESSION/WRITE": 70, "SESSION/READ": 62,
                          "SESSION/ROLE": 50, "OBJECT/WRITE": 23, "OBJECT/READ": 19, "SESSION/FUNCTION": 16}
        rows = con.execute("""
            SELECT e.message, r.statement, r.parameter, r.object_name, r.kind
            FROM pg_records r JOIN pg_log_entries e USING (line_no)
            WHERE e.message NOT LIKE '%<previously logged>%'""").fetchall()
        assert len(rows) > 300
        for message, statement, parameter, object_name, _ in rows:
            payload = next(csv.reader([message[len("AUDIT: "):]]))
            # "<not logged>" (pgaudit.log_statement off) is no statement text.
            assert statement == (None if payload[7] == "<not logged>" else payload[7])
            assert object_name == (payload[6] or None)
            assert parameter == pgaudit_csv_field(payload[8])
        con.execute("ROLLBACK")
    finally:
        con.close()
