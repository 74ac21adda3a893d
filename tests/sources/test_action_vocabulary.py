"""One action vocabulary across formats (docs/log-formats.md, "One action vocabulary").

Each row of the doc's table is written as one record of its format, ingested by the real adapter,
and must become the row's action; every verb each server documents, and every SQL Server code the
adapter names, must have a row; every action is one of the contract's.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.sources.formats import ingest

from test_pgaudit import audit, csvlog_record

REPO = Path(__file__).resolve().parents[2]
TABLE_ROW = re.compile(r"^\| (pgaudit|mariadb-audit|sqlserver-audit) \|(.+?)\|(.*?)\| `(\w+)` \|$", re.MULTILINE)

# What the servers write, from their own documentation: pgaudit's classes (pgaudit README,
# `pgaudit.log`) with the WRITE commands its write class covers, and the entries PostgreSQL itself
# writes about sessions; server_audit's operations (MariaDB Audit Plugin, "Log Format").
PGAUDIT_VERBS = {"READ", "WRITE", "FUNCTION", "ROLE", "DDL", "MISC", "MISC_SET", "WRITE INSERT", "WRITE UPDATE",
                 "WRITE DELETE", "WRITE TRUNCATE TABLE", "WRITE COPY", "WRITE MERGE", "READ COPY",
                 "connection authorized:", "disconnection:", "FATAL 28P01", "ERROR 42501"}
MARIADB_OPERATIONS = {"CONNECT", "FAILED_CONNECT", "CHANGEUSER", "PROXY_CONNECT", "DISCONNECT", "QUERY", "READ",
                      "WRITE", "CREATE", "ALTER", "RENAME", "DROP"}


def vocabulary() -> list[tuple[str, tuple[str, ...], str, str]]:
    """(format, verb tokens, statement, action) per row of the doc's table."""
    text = (REPO / "docs" / "log-formats.md").read_text(encoding="utf-8")
    section = text.split("\n## One action vocabulary\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for fmt, verb, statement, action in TABLE_ROW.findall(section):
        tokens = tuple(re.findall(r"`([^`]+)`", verb))
        statements = re.findall(r"^`(.+)`$", statement.strip())
        rows.append((fmt, tokens, statements[0] if statements else "", action))
    return rows


ROWS = vocabulary()


def test_the_table_is_there_and_uses_only_the_contracts_actions():
    suite = json.loads((REPO / "expectations" / "access_events.json").read_text(encoding="utf-8"))
    [contract] = [e["kwargs"]["value_set"] for e in suite["expectations"] if e["name"] == "action_in_contract_set"]
    assert len(ROWS) > 60
    assert {action for *_, action in ROWS} <= set(contract)


def test_every_documented_verb_has_a_row():
    verbs = {fmt: set() for fmt in ("pgaudit", "mariadb-audit", "sqlserver-audit")}
    for fmt, tokens, _, _ in ROWS:
        verbs[fmt] |= {tokens[0], " ".join(tokens)}
    sqlserver_sql = (REPO / "sql" / "sources" / "sqlserver_audit_raw_records.sql").read_text(encoding="utf-8")
    code_block = sqlserver_sql.split("CASE r.code", 1)[1].split("END AS action", 1)[0]
    sqlserver_codes = set(re.findall(r"WHEN '([A-Z]+)' THEN", code_block))
    assert len(sqlserver_codes) >= 17
    assert PGAUDIT_VERBS - verbs["pgaudit"] == set()
    assert MARIADB_OPERATIONS - verbs["mariadb-audit"] == set()
    assert sqlserver_codes - verbs["sqlserver-audit"] == set()


def pgaudit_record(tokens: tuple[str, ...], statement: str) -> str:
    first = tokens[0]
    if first == "connection authorized:":
        return csvlog_record(1, "connection authorized: user=ice_user database=pars", tag="authentication")
    if first == "disconnection:":
        return csvlog_record(1, "disconnection: session time: 0:00:01.000 user=ice_user database=pars "
                                "host=10.1.2.3 port=52344", tag="idle")
    if first == "FATAL 28P01":
        return csvlog_record(1, 'password authentication failed for user "ice_user"', severity="FATAL",
                             state="28P01", tag="authentication")
    if first == "ERROR 42501":
        return csvlog_record(1, "permission denied for table audit_log", severity="ERROR", state="42501",
                             tag=statement.split()[0].upper(), query=statement)
    klass, command = tokens
    return csvlog_record(1, audit(1, klass, command, "", statement), tag=command)


def server_audit_text(statement: str) -> str:
    return "'" + statement.replace("\\", "\\\\").replace("'", "\\'") + "'"


def mariadb_records(tokens: tuple[str, ...], statement: str) -> str:
    operation, retcode = tokens[0], (tokens[1] if len(tokens) > 1 else "0")
    head = "20240305 14:22:31,pars-db,ice_user,10.1.2.3,7"
    if operation == "QUERY":
        return f"{head},12,QUERY,pars,{server_audit_text(statement)},0\n"
    if operation in ("READ", "WRITE", "CREATE", "ALTER", "RENAME", "DROP"):
        # A table record comes before the QUERY it belongs to.
        return f"{head},12,{operation},pars,notes,\n{head},12,QUERY,pars,{server_audit_text(statement)},0\n"
    return f"{head},0,{operation},pars,,{retcode}\n"


def sqlserver_export(tokens: tuple[str, ...], statement: str) -> str:
    quoted = '"' + statement.replace('"', '""') + '"'
    return ("event_time,action_id,succeeded,session_id,server_principal_name,statement,client_ip\n"
            f"2024-03-05 19:22:31.1234567,{tokens[0]},{'0' if tokens[0] == 'LGIF' else '1'},57,CITY\\clerk7,{quoted},10.1.2.4\n")


WRITERS = {
    "pgaudit": ("pgaudit-csvlog", "postgresql.csv", pgaudit_record),
    "mariadb-audit": ("mariadb-audit", "server_audit.log", mariadb_records),
    "sqlserver-audit": ("sqlserver-audit", "audit.csv", sqlserver_export),
}


@pytest.mark.parametrize(("fmt", "tokens", "statement", "action"), ROWS,
                         ids=[f"{r[0]} {' '.join(r[1])} {r[2][:40]}" for r in ROWS])
def test_each_row_is_what_the_adapter_does(tmp_path, fmt, tokens, statement, action):
    format_name, file_name, write = WRITERS[fmt]
    path = tmp_path / file_name
    path.write_bytes(write(tokens, statement).encode("utf-8"))
    con = warehouse.memory()
    try:
        result = ingest(con, path, format_name, "America/New_York", source_name="vocabulary")
        assert result.rows_quarantined == 0
        first = con.execute("SELECT action, source_action FROM access_events ORDER BY source_line LIMIT 1").fetchall()
    finally:
        con.close()
    assert first and first[0][0] == action, f"{fmt} {tokens} {statement!r}: {first}"
