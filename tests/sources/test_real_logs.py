"""A real-log regression suite (issue 12): logs captured at test time from the private servers of
tests/servers.py under several settings, read here by an independent parser and compared
field by field with what the project loads from the same files.

Captured logs (nothing is committed; every run captures its own):
- PG A: stderr + csvlog, Debian's prefix `'%m [%p] %q%u@%d '` (no %c), pgaudit.log_relation and
  log_rows on: a join (one record per relation), a multi-line statement, an INSERT, a COPY, a
  permission-denied SELECT, a missing table, a failed password login.
- PG B: PostgreSQL's default prefix `'%m [%p] '` (no %u: its stderr log must be refused), log times
  in UTC, log_relation and log_rows off; its csvlog must load.
- PG C: the AWS RDS prefix `'%t:%r:%u@%d:[%p]:'` (no %c), log_statement_once on, and two backends
  with the same pid in one log, each running the same statement ids with its own text (the pid is
  handed to each backend through /proc/sys/kernel/ns_last_pid, which needs root).
- MariaDB: server_audit CONNECT,QUERY,TABLE, a client connecting from 127.0.0.2, a failed login, a
  denied DELETE, a failed INSERT, a multi-line statement and one with quotes and backslashes.

The parser (`read_*` below) uses csv and re only, nothing from compliance.sources: it counts the
records, says which become events (and with what fields, per docs/log-formats.md), which are
quarantined and which are ignored, and why. The statements' own meaning (does it filter one
person, which tables does it touch) cannot come from a log: each statement the workloads send is
declared once with it (`Sql`). `pytest -s` prints the per-log figures (test_summary_...).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from compliance import pipeline, warehouse

from servers import start_mariadb, start_postgres
from support import skip_or_fail

TZ = "America/New_York"
DEBIAN_PREFIX = "%m [%p] %q%u@%d "
DEFAULT_PREFIX = "%m [%p] "
RDS_PREFIX = "%t:%r:%u@%d:[%p]:"
SECOND_LOOPBACK = "127.0.0.2"


# --- the statements the workloads send, with what they mean ------------------------------------

@dataclass(frozen=True)
class Sql:
    """A statement as the client sends it, what it does and the tables it touches (the doc's
    statement_analysis `action` and `tables`), and the text the server logs when it differs (a
    password redacted)."""
    text: str
    action: str
    tables: str | None
    logged: str | None = None


PG_EXTENSION = Sql("CREATE EXTENSION pgaudit", "ddl", None)
PG_CLERK = Sql("CREATE ROLE clerk LOGIN PASSWORD 'clerk-pw'", "permission", None,
               logged="CREATE ROLE clerk LOGIN PASSWORD <REDACTED>")
PG_INTRUDER = Sql("CREATE ROLE intruder LOGIN PASSWORD 'intruder-pw'", "permission", None,
                  logged="CREATE ROLE intruder LOGIN PASSWORD <REDACTED>")
PG_PERSONS = Sql("CREATE TABLE persons (person_id text PRIMARY KEY, last_name text, place_of_birth text)",
                 "ddl", "persons")
PG_ARRESTS = Sql("CREATE TABLE arrests (arrest_id text PRIMARY KEY, person_id text)", "ddl", "arrests")
PG_SEED_PERSONS = Sql("INSERT INTO persons VALUES ('P100', 'Garcia', 'USA'), ('P101', 'O''Brien', 'Ireland')",
                      "insert", "persons")
PG_SEED_ARRESTS = Sql("INSERT INTO arrests VALUES ('A1', 'P100'), ('A2', 'P101')", "insert", "arrests")
# A GRANT changes privileges; it reads and writes no table's rows.
PG_GRANT = Sql("GRANT SELECT, INSERT ON persons, arrests TO clerk", "permission", None)
PG_SETUP = (PG_EXTENSION, PG_CLERK, PG_INTRUDER, PG_PERSONS, PG_ARRESTS, PG_SEED_PERSONS, PG_SEED_ARRESTS,
            PG_GRANT)

PG_JOIN = Sql("SELECT p.last_name, a.arrest_id FROM persons p JOIN arrests a USING (person_id)", "search",
              "arrests;persons")
PG_MULTILINE = Sql("/* case=CP-51-CR-0007777-2024 purpose=C */ SELECT last_name,\r\n       place_of_birth\n"
                   "FROM persons\nWHERE last_name = 'O''Brien' AND place_of_birth <> 'a, \"b\"'", "search",
                   "persons")
PG_ONE_PERSON = Sql("SELECT last_name FROM persons WHERE person_id = 'P100'", "view", "persons")
PG_INSERT = Sql("INSERT INTO persons VALUES ('P102', 'Nguyen', 'Viet Nam')", "insert", "persons")
PG_EXPORT = Sql("COPY persons TO STDOUT", "export", "persons")
PG_SET = Sql("SET work_mem = '8MB'", "other", None)
PG_MISSING_TABLE = Sql("SELECT * FROM no_such_table", "search", "no_such_table")
PG_DENIED = Sql("SELECT * FROM persons", "search", "persons")
PG_BACKEND_PID = Sql("SELECT pg_backend_pid()", "other", None)
PG_SHOW_PREFIX = Sql("SHOW log_line_prefix", "other", None)  # the capture asks the server its prefix
# PG C: the same statement ids in two backends with one pid, each with its own text.
PG_FIRST_BACKEND = Sql("SELECT p.last_name FROM persons p JOIN arrests a USING (person_id) WHERE a.arrest_id = 'A1'",
                       "search", "arrests;persons")
PG_SECOND_BACKEND = Sql("SELECT a.arrest_id\nFROM arrests a JOIN persons p USING (person_id)\n"
                        "WHERE p.last_name = 'O''Brien'", "search", "arrests;persons")

M_DATABASE = Sql("CREATE DATABASE pars", "ddl", None)  # a database is not a table
M_PERSONS = Sql("CREATE TABLE pars.persons (person_id VARCHAR(20) PRIMARY KEY, last_name VARCHAR(50), "
                "place_of_birth VARCHAR(50))", "ddl", "pars.persons")
M_ARRESTS = Sql("CREATE TABLE pars.arrests (arrest_id VARCHAR(20) PRIMARY KEY, person_id VARCHAR(20))", "ddl",
                "pars.arrests")
M_SEED_PERSONS = Sql("INSERT INTO pars.persons VALUES ('P100', 'Garcia', 'USA'), ('P101', 'O''Brien', 'Ireland')",
                     "insert", "pars.persons")
M_SEED_ARRESTS = Sql("INSERT INTO pars.arrests VALUES ('A1', 'P100')", "insert", "pars.arrests")
M_USER = Sql("CREATE USER 'clerk'@'%' IDENTIFIED BY 'clerk-pw'", "permission", None,
             logged="CREATE USER 'clerk'@'%' IDENTIFIED BY *****")
M_GRANT = Sql("GRANT SELECT, INSERT ON pars.* TO 'clerk'@'%'", "permission", None)
M_SETUP = (M_DATABASE, M_PERSONS, M_ARRESTS, M_SEED_PERSONS, M_SEED_ARRESTS, M_USER, M_GRANT)
M_SET_NAMES = Sql("SET NAMES utf8mb4", "other", None)  # what pymysql sends first on every connection
M_JOIN_ONE_PERSON = Sql("SELECT p.last_name, a.arrest_id\nFROM persons p JOIN arrests a USING (person_id)\n"
                        "WHERE p.person_id = 'P100'", "view", "arrests;persons")
M_QUOTES = Sql("SELECT last_name FROM persons WHERE last_name = 'O\\'Brien' OR last_name = 'back\\\\slash'"
               "\t-- a tab, \"quotes\", commas", "search", "persons")
M_INSERT = Sql("INSERT INTO persons VALUES ('P102', 'Nguyen', 'Viet Nam')", "insert", "persons")
M_DUPLICATE = Sql("INSERT INTO persons VALUES ('P100', 'Again', 'USA')", "insert", "persons")
M_DENIED = Sql("DELETE FROM persons WHERE person_id = 'P101'", "delete", "persons")

DECLARED = {s.logged or s.text: s for s in (
    *PG_SETUP, PG_JOIN, PG_MULTILINE, PG_ONE_PERSON, PG_INSERT, PG_EXPORT, PG_SET, PG_MISSING_TABLE, PG_DENIED,
    PG_BACKEND_PID, PG_SHOW_PREFIX, PG_FIRST_BACKEND, PG_SECOND_BACKEND,
    *M_SETUP, M_SET_NAMES, M_JOIN_ONE_PERSON, M_QUOTES, M_INSERT, M_DUPLICATE, M_DENIED)}


# --- the independent reading of a log ----------------------------------------------------------

# The fields of an event compared with access_events, column by column.
COMPARED = ("event_ts", "account_id", "client_addr", "session_id", "sequence_no", "statement", "source_action",
            "action", "outcome", "objects", "result_count")


@dataclass
class Reading:
    """What a log holds, as read here: every record is an event (by its first line), quarantined
    (line -> (field, reason)) or ignored (reason -> count)."""
    records: int = 0
    events: dict[int, dict] = field(default_factory=dict)
    event_ids: dict[int, str] = field(default_factory=dict)  # exact ids, where the doc fixes them
    quarantined: dict[int, tuple] = field(default_factory=dict)
    ignored: Counter = field(default_factory=Counter)
    undeclared: set[str] = field(default_factory=set)  # statements whose meaning was needed

    def meaning(self, statement: str | None) -> Sql | None:
        if statement is None:
            return None
        if statement not in DECLARED:
            self.undeclared.add(statement)
        return DECLARED.get(statement)

    def add_event(self, line: int, fields: dict, event_id: str | None = None) -> None:
        assert line not in self.events, f"two records start at line {line}"
        if not fields["account_id"]:
            # The contract requires an account (docs/log-formats.md: a record without a user).
            self.quarantined[line] = ("account_id", "required value is empty")
            return
        self.events[line] = fields
        if event_id is not None:
            self.event_ids[line] = event_id


def split_lines(path: Path) -> list[str]:
    """The file's physical lines: ended by LF only (a CR inside a statement is no line end)."""
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def instant(stamp: str, zone: str | None) -> dt.datetime:
    """A logged time as an instant. A time without a zone, or with an abbreviation (EST, EDT), is
    local time in TZ; the abbreviation must be the name TZ gives that time (a check on the log, not
    used to choose in a repeated hour)."""
    naive = dt.datetime.fromisoformat(stamp)
    if zone in ("UTC", "GMT"):
        return naive.replace(tzinfo=dt.timezone.utc)
    local = naive.replace(tzinfo=ZoneInfo(TZ))
    assert zone in (None, local.tzname(), local.replace(fold=1).tzname()), f"{zone} is not {TZ}'s name at {stamp}"
    return local


# PostgreSQL ------------------------------------------------------------------------------------

SEVERITIES = ("DEBUG1|DEBUG2|DEBUG3|DEBUG4|DEBUG5|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY"
              "|CONTEXT|LOCATION|STATEMENT")
_MS_STAMP = r"(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (?P<zone>[A-Za-z]+)"
# One hand-written pattern per prefix the servers are given (not built from the escapes).
STDERR_PATTERNS = {
    DEBIAN_PREFIX: re.compile(_MS_STAMP + r" \[(?P<pid>\d+)\] (?:(?P<user>[^ @]*)@(?P<database>[^ @]*) )?"
                              rf"(?P<severity>{SEVERITIES}):  (?P<message>.*)$", re.DOTALL),
    DEFAULT_PREFIX: re.compile(_MS_STAMP + rf" \[(?P<pid>\d+)\] (?P<severity>{SEVERITIES}):  (?P<message>.*)$",
                               re.DOTALL),
    RDS_PREFIX: re.compile(r"(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?P<zone>[A-Za-z]+)"
                           r":(?P<client>[^:()]*)(?:\(\d*\))?:(?P<user>[^:@]*)@(?P<database>[^:@]*):\[(?P<pid>\d+)\]:"
                           rf"(?P<severity>{SEVERITIES}):  (?P<message>.*)$", re.DOTALL),
}
STAMPED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
AUTH_FAILURE = re.compile(r'password authentication failed for user|no pg_hba\.conf entry|role ".*" does not exist')
DETAIL_SEVERITIES = {"DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION"}


@dataclass
class PgEntry:
    """One entry of a PostgreSQL log, from either log."""
    line: int
    stamp: str
    zone: str
    user: str | None
    pid: str
    client: str | None
    session_id: str | None
    line_num: str | None
    severity: str
    sqlstate: str | None
    message: str
    query: str | None  # csvlog's `query`; for stderr, the STATEMENT entry that follows
    backend: tuple = ()  # who wrote it: csvlog's session, else the pid and which of its lifetimes


def stderr_entries(path: Path, prefix: str) -> list[PgEntry]:
    """Entries of a stderr log: a line the prefix reads starts one; a line PostgreSQL starts with a
    tab (after each newline of a message) continues it, without that tab."""
    pattern = STDERR_PATTERNS[prefix]
    starts: list[tuple[int, list[str]]] = []  # (first line, its lines)
    for number, line in enumerate(split_lines(path), 1):
        if not line.startswith("\t") and pattern.match(line):
            starts.append((number, [line]))
        elif STAMPED.match(line) or not starts:
            raise AssertionError(f"{path.name} line {number}: not an entry of prefix {prefix!r}: {line!r}")
        else:
            starts[-1][1].append(line[1:] if line.startswith("\t") else line)
    entries = []
    lifetimes: Counter = Counter()
    for number, lines in starts:
        groups = pattern.match("\n".join(lines)).groupdict()
        message = groups["message"]
        pid = groups["pid"]
        # Without %c a backend is known by its pid; each backend's life starts with its
        # `connection received` (log_connections is on for every server here).
        if message.startswith("connection received: "):
            lifetimes[pid] += 1
        user = groups.get("user") or None
        entries.append(PgEntry(
            line=number, stamp=groups["stamp"], zone=groups["zone"], user=user, pid=pid,
            client=groups.get("client") or None, session_id=None, line_num=None, severity=groups["severity"],
            sqlstate=None, message=message, query=None, backend=(pid, lifetimes[pid])))
    for index, entry in enumerate(entries):
        if entry.severity == "ERROR":
            following = next((e for e in entries[index + 1:] if e.backend == entry.backend), None)
            if following is not None and following.severity == "STATEMENT":
                entry.query = following.message
    return entries


def csvlog_entries(path: Path) -> list[PgEntry]:
    """Records of a csvlog (csv module), each with the physical line it starts on."""
    lines = [line + "\n" for line in split_lines(path)]
    reader = csv.reader(lines)
    entries = []
    start = 1
    for row in reader:
        assert len(row) == 26, f"{path.name} line {start}: {len(row)} fields (PostgreSQL 15 writes 26)"
        (log_time, user, _database, pid, connection_from, session_id, line_num, _tag, _start, _vxid, _xid,
         severity, sqlstate, message, _detail, _hint, _iq, _iqpos, _context, query, *_rest) = row
        stamp, zone = log_time.rsplit(" ", 1)
        # connection_from is host:port for TCP, [local] for a socket.
        client = re.sub(r":\d+$", "", connection_from) or None
        entries.append(PgEntry(start, stamp, zone, user or None, pid, client, session_id, line_num, severity,
                               sqlstate or None, message, query or None, backend=(session_id,)))
        start = reader.line_num + 1
    return entries


def audit_fields(message: str) -> list[str] | None:
    """pgaudit's payload split with the csv module (it quotes a field only when it must), or None
    when it is not a record: AUDIT_TYPE, STATEMENT_ID, SUBSTATEMENT_ID, CLASS, COMMAND, OBJECT_TYPE,
    OBJECT_NAME, STATEMENT, PARAMETER[, ROWS]."""
    rows = list(csv.reader([message[len("AUDIT: "):]]))
    if len(rows) != 1 or len(rows[0]) not in (9, 10):
        return None
    fields = rows[0]
    if fields[0] not in ("SESSION", "OBJECT") or not (fields[1].isdigit() and fields[2].isdigit()):
        return None
    if len(fields) == 10 and not fields[9].isdigit():
        return None
    return fields


def pg_audit_action(audit_class: str, command: str, meaning: Sql | None) -> str:
    """docs/log-formats.md, "What each entry becomes": the action of an AUDIT record."""
    if audit_class == "READ":
        if command == "COPY":
            return "export"
        return "view" if meaning and meaning.action == "view" else "search"
    if audit_class == "WRITE":
        written = {"INSERT": "insert", "UPDATE": "update", "DELETE": "delete", "TRUNCATE TABLE": "delete"}
        if command in written:
            return written[command]
        return meaning.action if meaning and meaning.action in ("insert", "update", "delete") else "update"
    return {"DDL": "ddl", "ROLE": "permission", "FUNCTION": "execute"}.get(audit_class, "other")


def read_pg(entries: list[PgEntry], source: str, exact_ids: bool) -> Reading:
    reading = Reading(records=len(entries))
    texts: dict[tuple, str] = {}  # (backend, statement id, substatement id) -> the text it logged
    for e in entries:
        base = {"event_ts": instant(e.stamp, e.zone), "account_id": e.user, "client_addr": e.client,
                "session_id": e.session_id or e.pid, "sequence_no": int(e.line_num) if e.line_num else None,
                "result_count": None}
        event_id = f"{source}:{e.session_id}:{e.line_num}" if exact_ids else None
        if e.message.startswith("AUDIT: "):
            fields = audit_fields(e.message)
            if fields is None:
                reading.quarantined[e.line] = ("message", "not a well-formed pgaudit record")
                continue
            _, statement_id, substatement_id, audit_class, command, _, object_name, text, _, *rows = fields
            key = (e.backend, statement_id, substatement_id)
            if text == "<previously logged>":
                text = texts.get(key)
            elif text == "<not logged>":
                text = None
            else:
                texts[key] = text
            meaning = reading.meaning(text)
            reading.add_event(e.line, {
                **base, "statement": text, "source_action": command,
                "action": pg_audit_action(audit_class, command, meaning), "outcome": "success",
                "objects": object_name or (meaning.tables if meaning else None),
                "result_count": int(rows[0]) if rows else None}, event_id)
        elif e.message.startswith("connection authorized: "):
            reading.add_event(e.line, {**base, "statement": None, "source_action": "connection authorized",
                                       "action": "login", "outcome": "success", "objects": None}, event_id)
        elif e.message.startswith("disconnection: "):
            reading.add_event(e.line, {**base, "statement": None, "source_action": "disconnection",
                                       "action": "logout", "outcome": "success", "objects": None}, event_id)
        elif e.severity == "FATAL" and ((e.sqlstate or "").startswith("28") or AUTH_FAILURE.search(e.message)):
            named = re.search(r'user "([^"]*)"', e.message)
            reading.add_event(e.line, {**base, "account_id": e.user or (named.group(1) if named else None),
                                       "statement": None, "source_action": "authentication failed",
                                       "action": "login_failed", "outcome": "failure", "objects": None}, event_id)
        elif e.severity == "ERROR" and (e.sqlstate == "42501" or e.message.startswith("permission denied")):
            meaning = reading.meaning(e.query)
            reading.add_event(e.line, {**base, "statement": e.query, "source_action": "permission denied",
                                       "action": meaning.action if meaning else "other", "outcome": "failure",
                                       "objects": meaning.tables if meaning else None}, event_id)
        elif e.message.startswith("connection received: "):
            reading.ignored["connection received"] += 1
        elif e.severity in DETAIL_SEVERITIES:
            reading.ignored["detail of the entry above"] += 1
        elif not e.user:
            reading.ignored["server process message"] += 1
        else:
            reading.ignored[f"{e.severity.lower()} message without access"] += 1
    return reading


# MariaDB server_audit --------------------------------------------------------------------------

AUDIT_HEAD = re.compile(r"(\d{8} \d\d:\d\d:\d\d),([^,]*),([^,]*),([^,]*),(\d+),(\d+),([A-Z_]+),([^,]*),")
ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "'": "'", "\\": "\\"}
STATISTICS_TABLES = {"mysql.table_stats", "mysql.column_stats", "mysql.index_stats"}
TABLE_OPERATIONS = ("READ", "WRITE", "CREATE", "ALTER", "RENAME", "DROP")


def server_audit_fields(line: str) -> dict | None:
    """timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode
    [,connection_type], or None for a line that is no record. A QUERY's object is its statement in
    single quotes with backslash escapes (so it may hold commas); another's holds no comma."""
    head = AUDIT_HEAD.match(line)
    if head is None:
        return None
    stamp, _server_host, user, host, connection, query_id, operation, database = head.groups()
    rest = line[head.end():]
    if rest.startswith("'"):
        out, i = [], 1
        while i < len(rest) and rest[i] != "'":
            if rest[i] == "\\":
                escaped = rest[i + 1:i + 2]
                assert escaped in ESCAPES, f"unexpected escape {escaped!r} in {line!r}"
                out.append(ESCAPES[escaped])
                i += 2
            else:
                out.append(rest[i])
                i += 1
        if not rest[i + 1:].startswith(","):
            return None
        obj, tail = "".join(out), rest[i + 2:]
    else:
        obj, _, tail = rest.partition(",")
    retcode = tail.partition(",")[0]  # newer servers append the connection type
    if not re.fullmatch(r"-?\d*", retcode):
        return None
    # MariaDB 12 logs host:port; an IPv6 address has more than one colon and no port.
    return {"stamp": stamp, "user": user or None, "host": host.split(":")[0] if host.count(":") == 1 else host,
            "connection": connection, "query_id": query_id, "operation": operation, "database": database,
            "object": obj, "retcode": retcode}


def read_server_audit(path: Path) -> Reading:
    lines = split_lines(path)
    reading = Reading(records=len(lines))
    records = {}
    for number, line in enumerate(lines, 1):
        if line == "":
            reading.ignored["blank line"] += 1
            continue
        fields = server_audit_fields(line)
        if fields is None:
            reading.quarantined[number] = (None, "not a server_audit record")
            continue
        records[number] = fields
    # A TABLE record belongs to the next QUERY of its connection with the same query id.
    query_of: dict[int, int] = {}
    tables_of: dict[int, set] = {}
    waiting: dict[tuple, list[int]] = {}
    for number, r in records.items():
        key = (r["connection"], r["query_id"])
        if r["operation"] in TABLE_OPERATIONS:
            waiting.setdefault(key, []).append(number)
        elif r["operation"] == "QUERY":
            tables_of[number] = set()
            for table_line in waiting.pop(key, []):
                query_of[table_line] = number
                t = records[table_line]
                name = (f"{t['database']}." if t["database"] else "") + t["object"]
                if name.lower() not in STATISTICS_TABLES:
                    tables_of[number].add(name.lower())
    for number, r in records.items():
        operation = r["operation"]
        query = records.get(query_of.get(number)) if operation in TABLE_OPERATIONS else None
        statement = r["object"] if operation == "QUERY" else query["object"] if query else None
        meaning = reading.meaning(statement)
        # A TABLE record has no return code of its own: its QUERY's is the statement's.
        retcode = r["retcode"] or (query["retcode"] if query else "")
        if operation == "QUERY":
            action = meaning.action if meaning else "other"
            # The tables its TABLE records name, in order (as statement_analysis lists tables),
            # else the statement's own.
            objects = ";".join(sorted(tables_of[number])) or (meaning.tables if meaning else None)
        elif operation in TABLE_OPERATIONS:
            objects = ((f"{r['database']}." if r["database"] else "") + r["object"]).lower()
            if operation == "READ":
                action = "view" if meaning and meaning.action == "view" else "search"
            elif operation == "WRITE":
                written = meaning.action if meaning else None
                action = written if written in ("insert", "update", "delete") else "update"
            else:
                action = "ddl"
        elif operation in ("CONNECT", "FAILED_CONNECT", "DISCONNECT"):
            objects = None
            action = {"CONNECT": "login" if retcode == "0" else "login_failed", "FAILED_CONNECT": "login_failed",
                      "DISCONNECT": "logout"}[operation]
        else:
            raise AssertionError(f"{path.name} line {number}: operation {operation} is not in this workload")
        reading.add_event(number, {
            "event_ts": instant(f"{r['stamp'][:4]}-{r['stamp'][4:6]}-{r['stamp'][6:]}", None),
            "account_id": r["user"], "client_addr": r["host"] or None, "session_id": r["connection"],
            "sequence_no": None, "statement": statement, "source_action": operation, "action": action,
            "outcome": "failure" if operation == "FAILED_CONNECT" or retcode not in ("", "0") else "success",
            "objects": objects, "result_count": None})
    return reading


# --- capturing logs from real servers ----------------------------------------------------------

@dataclass
class Captured:
    """A server run's logs, kept after the server is stopped and removed."""
    logs: Path
    log_line_prefix: str  # SHOW log_line_prefix, as an operator would pass it
    facts: dict = field(default_factory=dict)


def pg_settings(prefix: str, log_timezone: str, **audit: str) -> dict[str, str]:
    return {"log_destination": "'stderr,csvlog'", "log_filename": "'postgresql'",
            "log_line_prefix": f"'{prefix}'", "log_timezone": f"'{log_timezone}'",
            "log_connections": "on", "log_disconnections": "on", **audit}


PG_A_SETTINGS = pg_settings(DEBIAN_PREFIX, TZ, **{
    "pgaudit.log": "'read,write,ddl,role,misc'", "pgaudit.log_relation": "on", "pgaudit.log_rows": "on"})
PG_B_SETTINGS = pg_settings(DEFAULT_PREFIX, "UTC", **{
    "pgaudit.log": "'read,write,ddl,role'", "pgaudit.log_relation": "off", "pgaudit.log_rows": "off"})
PG_C_SETTINGS = pg_settings(RDS_PREFIX, "UTC", **{
    "pgaudit.log": "'read,write,ddl,role'", "pgaudit.log_relation": "on", "pgaudit.log_statement_once": "on"})


def capture_postgres(base: Path, settings: dict, workload) -> Captured:
    """Start a private server, run `workload(server) -> facts`, stop it and keep its logs."""
    import psycopg

    server = start_postgres(base, settings)
    try:
        with psycopg.connect(server.dsn(host=str(server.datadir)), autocommit=True) as admin:
            prefix = admin.execute(PG_SHOW_PREFIX.text).fetchone()[0]
            for statement in PG_SETUP:
                admin.execute(statement.text)
        facts = workload(server) or {}
    finally:
        server.stop()
    logs = base / "logs"
    shutil.copytree(server.log_dir, logs)
    server.cleanup()
    return Captured(logs, prefix, facts)


def clerk(server, application_name: str = "PARS Web Portal"):
    import psycopg

    return psycopg.connect(server.dsn("clerk", "clerk-pw", application_name=application_name), autocommit=True)


def pg_a_workload(server) -> None:
    import psycopg

    with clerk(server) as con:
        for statement in (PG_JOIN, PG_MULTILINE, PG_ONE_PERSON, PG_INSERT, PG_SET):
            con.execute(statement.text)
        with con.cursor().copy(PG_EXPORT.text) as copy:
            for _ in copy:
                pass
        with pytest.raises(psycopg.errors.UndefinedTable):
            con.execute(PG_MISSING_TABLE.text)
    with psycopg.connect(server.dsn("intruder", "intruder-pw"), autocommit=True) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute(PG_DENIED.text)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(server.dsn("clerk", "wrong-password"))


def pg_b_workload(server) -> None:
    with clerk(server) as con:
        con.execute(PG_JOIN.text).fetchall()
        con.execute(PG_INSERT.text)


NS_LAST_PID = Path("/proc/sys/kernel/ns_last_pid")


def _free_pid(start: int) -> int:
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    pid = start if start < pid_max - 10 else 300
    while Path(f"/proc/{pid}").exists():
        pid += 1
    return pid


def _clerk_with_pid(server, pid: int):
    """A clerk connection whose backend has process id `pid`, or None. The kernel gives a new
    process the number after ns_last_pid, so writing pid - 1 just before connecting hands it to the
    postmaster's fork; another process forking in between takes it instead."""
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)  # the pid's earlier backend has not been reaped yet
    try:
        NS_LAST_PID.write_text(str(pid - 1))
    except OSError as exc:
        skip_or_fail(f"forcing a backend's pid needs root and {NS_LAST_PID} ({exc.strerror})")
    con = clerk(server, "psql")
    if con.execute(PG_BACKEND_PID.text).fetchone()[0] == pid:
        return con
    con.close()
    return None


def pg_c_workload(server) -> dict:
    """Two backends with the same pid, one after the other, each running statement 1 (the pid check)
    and statement 2 (a join: with log_relation, two records, the second `<previously logged>`)."""
    if not os.access(NS_LAST_PID, os.W_OK):
        skip_or_fail(f"forcing a backend's pid needs root and a writable {NS_LAST_PID}")
    for _ in range(20):  # a pid another process took meanwhile: try the next free one
        pid = _free_pid(int(NS_LAST_PID.read_text()) + 200)
        con = _clerk_with_pid(server, pid)
        if con is not None:
            break
    else:
        raise AssertionError("no backend got the pid it was given in 20 attempts")
    with con:
        con.execute(PG_FIRST_BACKEND.text).fetchall()
    # csvlog's session id is the backend's start second and pid: a pid comes round again much
    # later on a real server, so the second backend starts in a later second here too.
    time.sleep(1.05 - time.time() % 1)
    for _ in range(20):
        con = _clerk_with_pid(server, pid)
        if con is not None:
            break
    else:
        raise AssertionError(f"no second backend got pid {pid} in 20 attempts")
    with con:
        con.execute(PG_SECOND_BACKEND.text).fetchall()
    return {"reused_pid": pid}


def capture_mariadb(base: Path) -> Captured:
    import pymysql

    with socket.socket() as probe:
        try:
            probe.bind((SECOND_LOOPBACK, 0))
        except OSError as exc:
            skip_or_fail(f"a client address {SECOND_LOOPBACK} is needed ({exc.strerror})")
    server = start_mariadb(base, TZ)
    try:
        admin = server.connect()
        with admin.cursor() as cur:
            for statement in M_SETUP:
                cur.execute(statement.text)
        with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
            server.connect("clerk", "wrong-password", bind_address=SECOND_LOOPBACK)
        con = server.connect("clerk", "clerk-pw", "pars", bind_address=SECOND_LOOPBACK)
        with con.cursor() as cur:
            for statement in (M_JOIN_ONE_PERSON, M_QUOTES, M_INSERT):
                cur.execute(statement.text)
            with pytest.raises(pymysql.err.IntegrityError, match="Duplicate entry"):
                cur.execute(M_DUPLICATE.text)
            with pytest.raises(pymysql.err.OperationalError) as denied:
                cur.execute(M_DENIED.text)
            assert denied.value.args[0] == 1142
        con.close()
        admin.close()
    finally:
        server.stop()
    logs = base / "logs"
    logs.mkdir()
    shutil.copy(server.audit_log, logs / "server_audit.log")
    server.cleanup()
    return Captured(logs, "")


@pytest.fixture(scope="module")
def pg_a(tmp_path_factory) -> Captured:
    return capture_postgres(tmp_path_factory.mktemp("pg_a"), PG_A_SETTINGS, pg_a_workload)


@pytest.fixture(scope="module")
def pg_b(tmp_path_factory) -> Captured:
    return capture_postgres(tmp_path_factory.mktemp("pg_b"), PG_B_SETTINGS, pg_b_workload)


@pytest.fixture(scope="module")
def pg_c(tmp_path_factory) -> Captured:
    return capture_postgres(tmp_path_factory.mktemp("pg_c"), PG_C_SETTINGS, pg_c_workload)


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory) -> Captured:
    return capture_mariadb(tmp_path_factory.mktemp("mariadb"))


# --- ingesting a captured log and comparing it with the reading -------------------------------

@dataclass
class Audit:
    """One captured log: the reading, and what the project made of the same file."""
    name: str
    reading: Reading
    result: dict  # pipeline.ingest_files' result for the file
    batch: dict | None  # its row of `batches`
    events: dict[int, dict]  # access_events by source_line
    quarantine: dict[int, tuple]
    mismatches: list[tuple]  # (log, line, field, expected, got)


def audit(name: str, path: Path, reading: Reading, home: Path, fmt: str, source: str,
          log_line_prefix: str | None = None) -> Audit:
    [result] = pipeline.ingest_files(home, [path], source_tz=TZ, format=fmt, source_name=source,
                                     log_line_prefix=log_line_prefix)
    batch, events, quarantine = None, {}, {}
    if result["status"] != "refused":
        with warehouse.connect(home, read_only=True) as con:
            cursor = con.execute("SELECT * FROM batches")
            [row] = cursor.fetchall()
            batch = dict(zip([d[0] for d in cursor.description], row))
            cursor = con.execute("SELECT * FROM access_events ORDER BY source_line")
            columns = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                event = dict(zip(columns, row))
                assert event["source_line"] not in events, f"{name}: two events at line {event['source_line']}"
                events[event["source_line"]] = event
            quarantine = {line: (fld, reason) for line, fld, reason in
                          con.execute("SELECT line_no, field, reason FROM quarantine").fetchall()}
    return Audit(name, reading, result, batch, events, quarantine, compare(name, reading, events, source))


def compare(name: str, reading: Reading, events: dict[int, dict], source: str) -> list[tuple]:
    """Every field of every event, expected against loaded, matched by source line."""
    mismatches = []
    for line in sorted(set(reading.events) | set(events)):
        expected, got = reading.events.get(line), events.get(line)
        if got is None or expected is None:
            mismatches.append((name, line, "(the event)", "an event" if expected else None,
                               "an event" if got else None))
            continue
        for column in COMPARED:
            if expected[column] != got[column]:
                mismatches.append((name, line, column, expected[column], got[column]))
        if line in reading.event_ids and reading.event_ids[line] != got["event_id"]:
            mismatches.append((name, line, "event_id", reading.event_ids[line], got["event_id"]))
        elif line not in reading.event_ids and not re.fullmatch(re.escape(source) + r":[0-9a-f]{16}(#\d+)?",
                                                                got["event_id"]):
            mismatches.append((name, line, "event_id", f"{source}:<16 hex digits>", got["event_id"]))
    return mismatches


def assert_accounted_for(found: Audit) -> None:
    """The batch's figures are the reading's, and no field of any event differs."""
    reading, batch = found.reading, found.batch
    assert reading.undeclared == set(), f"{found.name}: statements to declare (Sql): {reading.undeclared}"
    assert found.result["status"] == "loaded", found.result
    assert (batch["rows_read"], batch["rows_loaded"], batch["rows_quarantined"], batch["rows_ignored"]) == (
        reading.records, len(reading.events), len(reading.quarantined), sum(reading.ignored.values()))
    assert json.loads(batch["ignored_reasons"]) == dict(reading.ignored)
    assert found.quarantine == reading.quarantined
    assert found.mismatches == []


def kinds(found: Audit) -> Counter:
    return Counter(event["source_action"] for event in found.reading.events.values())


def stderr_audit(name: str, run: Captured, source: str, written_with: str, factory,
                 given: str | None = None) -> Audit:
    """The run's stderr log read here (with the prefix the server wrote) and ingested as `source`
    with `given` (None: the reader detects it)."""
    path = run.logs / "postgresql"
    return audit(name, path, read_pg(stderr_entries(path, written_with), source, exact_ids=False),
                 factory.mktemp("home"), "pgaudit-stderr", source, given)


def csvlog_audit(name: str, run: Captured, source: str, factory) -> Audit:
    path = run.logs / "postgresql.csv"
    return audit(name, path, read_pg(csvlog_entries(path), source, exact_ids=True), factory.mktemp("home"),
                 "pgaudit-csvlog", source)


@pytest.fixture(scope="module")
def pg_a_stderr(pg_a, tmp_path_factory) -> Audit:
    # Ingested with the prefix the server reports, as an operator would pass it.
    return stderr_audit("pg_a stderr (Debian prefix)", pg_a, "pg_a", DEBIAN_PREFIX, tmp_path_factory,
                        pg_a.log_line_prefix)


@pytest.fixture(scope="module")
def pg_a_csvlog(pg_a, tmp_path_factory) -> Audit:
    return csvlog_audit("pg_a csvlog", pg_a, "pg_a", tmp_path_factory)


@pytest.fixture(scope="module")
def pg_b_stderr(pg_b, tmp_path_factory) -> Audit:
    # No prefix given: the reader detects PostgreSQL's default, which has no %u.
    return stderr_audit("pg_b stderr (default prefix)", pg_b, "pg_b", DEFAULT_PREFIX, tmp_path_factory)


@pytest.fixture(scope="module")
def pg_b_csvlog(pg_b, tmp_path_factory) -> Audit:
    return csvlog_audit("pg_b csvlog", pg_b, "pg_b", tmp_path_factory)


@pytest.fixture(scope="module")
def pg_c_stderr(pg_c, tmp_path_factory) -> Audit:
    # No prefix given: the reader must detect the RDS prefix.
    return stderr_audit("pg_c stderr (RDS prefix, reused pid)", pg_c, "pg_c", RDS_PREFIX, tmp_path_factory)


@pytest.fixture(scope="module")
def pg_c_csvlog(pg_c, tmp_path_factory) -> Audit:
    return csvlog_audit("pg_c csvlog (reused pid)", pg_c, "pg_c", tmp_path_factory)


@pytest.fixture(scope="module")
def mariadb_audit(mariadb, tmp_path_factory) -> Audit:
    return audit("mariadb server_audit", mariadb.logs / "server_audit.log",
                 read_server_audit(mariadb.logs / "server_audit.log"), tmp_path_factory.mktemp("home"),
                 "mariadb-audit", "pars_mariadb")


# --- the tests -----------------------------------------------------------------------------------

def test_pg_a_stderr_every_record_accounted_for_and_every_field_matches(pg_a_stderr):
    # The two errors' STATEMENT entries and the failed login's DETAIL, entries of their own in stderr.
    assert pg_a_stderr.reading.ignored["detail of the entry above"] == 3
    assert_accounted_for(pg_a_stderr)


def test_pg_a_csvlog_every_record_accounted_for_and_every_field_matches(pg_a_csvlog):
    assert_accounted_for(pg_a_csvlog)


def test_pg_a_logs_hold_the_workload(pg_a_stderr, pg_a_csvlog):
    """The comparison covers what the workload did: not a log of logins only."""
    for found in (pg_a_stderr, pg_a_csvlog):
        assert {"SELECT", "INSERT", "COPY", "SET", "CREATE TABLE", "CREATE INDEX", "CREATE ROLE", "GRANT",
                "connection authorized", "disconnection", "authentication failed",
                "permission denied"} <= set(kinds(found)), found.name
        statements = {e["statement"] for e in found.reading.events.values()}
        assert {PG_JOIN.text, PG_MULTILINE.text, PG_INSERT.text, PG_EXPORT.text} <= statements, found.name


def test_pg_a_log_relation_gives_one_record_per_table_with_its_rows(pg_a_stderr, pg_a_csvlog):
    for found in (pg_a_stderr, pg_a_csvlog):
        join = sorted((e["objects"], e["result_count"], e["action"]) for e in found.events.values()
                      if e["statement"] == PG_JOIN.text)
        assert join == [("public.arrests", 2, "search"), ("public.persons", 2, "search")], found.name
        [one] = [e for e in found.events.values() if e["statement"] == PG_ONE_PERSON.text]
        assert (one["action"], one["result_count"]) == ("view", 1)


def test_pg_permission_denied_is_one_failed_event_with_no_audit_record(pg_a_stderr, pg_a_csvlog):
    """pgaudit writes no AUDIT record for a SELECT the server refuses (its check runs after the
    server's own); the ERROR entry is the only trace, and the project makes it one event."""
    for found in (pg_a_stderr, pg_a_csvlog):
        intruder = [e for e in found.events.values() if e["account_id"] == "intruder"]
        assert [(e["source_action"], e["action"], e["outcome"], e["statement"], e["objects"]) for e in intruder
                if e["action"] not in ("login", "logout")] == [
            ("permission denied", "search", "failure", PG_DENIED.text, "persons")], found.name
    # The missing table is an ERROR too, but no access: ignored with its STATEMENT entry.
    assert pg_a_stderr.reading.ignored["error message without access"] == 1
    assert pg_a_csvlog.reading.ignored["error message without access"] == 1


def test_pg_b_stderr_without_the_user_is_refused_naming_log_line_prefix(pg_b, pg_b_stderr, pg_b_csvlog,
                                                                          tmp_path):
    for found in (pg_b_stderr, audit("pg_b stderr, prefix given", pg_b.logs / "postgresql", pg_b_stderr.reading,
                                     tmp_path / "home", "pgaudit-stderr", "pg_b", pg_b.log_line_prefix)):
        reason = found.result["reason"]
        assert found.result["status"] == "refused" and "\n" not in reason
        assert reason.endswith(
            "field log_line_prefix: log_line_prefix '%m [%p] ' records no user, so no record can be attributed "
            "to an account: set log_line_prefix = '%m [%p] %q%u@%d ' on the server (or add %u to it) and ingest "
            "the logs written since")
    # The refusal is right: read anyway, not one entry names a user, and each of the events the
    # csvlog of the same server holds would be quarantined.
    assert pg_b_stderr.reading.events == {}
    assert Counter(pg_b_stderr.reading.quarantined.values()) == {
        ("account_id", "required value is empty"): len(pg_b_csvlog.reading.events)}


def test_pg_b_csvlog_every_record_accounted_for_and_every_field_matches(pg_b_csvlog):
    assert_accounted_for(pg_b_csvlog)


def test_pg_b_without_log_relation_one_record_per_statement_and_no_rows(pg_b_csvlog):
    [join] = [e for e in pg_b_csvlog.events.values() if e["statement"] == PG_JOIN.text]
    assert (join["objects"], join["result_count"]) == ("arrests;persons", None)


def test_pg_c_stderr_every_record_accounted_for_and_every_field_matches(pg_c_stderr):
    assert_accounted_for(pg_c_stderr)


def test_pg_c_csvlog_every_record_accounted_for_and_every_field_matches(pg_c_csvlog):
    assert_accounted_for(pg_c_csvlog)


def test_pg_c_records_of_a_reused_pid_get_their_own_backends_statement(pg_c, pg_c_stderr):
    pid = pg_c.facts["reused_pid"]
    lines = split_lines(pg_c.logs / "postgresql")
    # Two backends had the pid, one after the other, in this one log.
    assert sum(f":[{pid}]:LOG:  connection received: " in line for line in lines) == 2
    statement_2 = [(lines[line - 1], event["statement"]) for line, event in sorted(pg_c_stderr.events.items())
                   if f":[{pid}]:LOG:  AUDIT: SESSION,2,1," in lines[line - 1]]
    # Each backend's statement 2 has two records (one per table); its second says <previously logged>.
    assert ["<previously logged>" in raw for raw, _ in statement_2] == [False, True, False, True]
    assert [statement for _, statement in statement_2] == [PG_FIRST_BACKEND.text] * 2 + [PG_SECOND_BACKEND.text] * 2


def test_mariadb_every_record_accounted_for_and_every_field_matches(mariadb_audit):
    assert_accounted_for(mariadb_audit)


def test_mariadb_logs_the_second_loopback_address_and_the_failures(mariadb_audit):
    clerk_events = [e for e in mariadb_audit.events.values() if e["account_id"] == "clerk"]
    assert {e["client_addr"] for e in clerk_events} == {SECOND_LOOPBACK}
    failures = sorted((e["source_action"], e["statement"]) for e in clerk_events if e["outcome"] == "failure")
    # The refused DELETE writes no WRITE record; the duplicate INSERT's WRITE record fails with its QUERY.
    assert failures == sorted([("FAILED_CONNECT", None), ("QUERY", M_DUPLICATE.text), ("QUERY", M_DENIED.text),
                               ("WRITE", M_DUPLICATE.text)])
    assert {M_JOIN_ONE_PERSON.text, M_QUOTES.text} <= {e["statement"] for e in clerk_events}
    # The join's READ records, one per table, are views of one person like their QUERY (whose
    # tables' order test_mariadb_a_querys_tables_are_listed_in_order checks).
    reads = sorted((e["source_action"], sorted(e["objects"].split(";")), e["action"]) for e in clerk_events
                   if e["source_action"] in ("READ", "QUERY") and e["statement"] == M_JOIN_ONE_PERSON.text
                   and not e["objects"].startswith("mysql."))
    assert reads == [("QUERY", ["pars.arrests", "pars.persons"], "view"), ("READ", ["pars.arrests"], "view"),
                     ("READ", ["pars.persons"], "view")]


def test_mariadb_a_querys_tables_are_listed_in_order(mariadb_audit):
    """A QUERY's objects, from its TABLE records, in order like statement_analysis.tables: a query
    touching several tables lists them the same way every time."""
    listed = [e["objects"] for e in mariadb_audit.events.values()
              if e["source_action"] == "QUERY" and e["objects"] and ";" in e["objects"]]
    assert len(listed) >= 3  # the join, the CREATE USER and the GRANT
    assert [objects for objects in listed if objects.split(";") != sorted(objects.split(";"))] == []


def test_mariadb_create_database_touches_no_table(mariadb_audit):
    """A database is not a table: CREATE DATABASE has no TABLE records, and its objects stay empty."""
    [created] = [e for e in mariadb_audit.events.values() if e["statement"] == M_DATABASE.text]
    assert (created["action"], created["objects"]) == ("ddl", None)


def test_the_comparison_reports_a_changed_field(pg_a_csvlog):
    """The comparison is not vacuous: one expected statement changed is one mismatch, named."""
    line = next(line for line, e in pg_a_csvlog.reading.events.items() if e["statement"] == PG_INSERT.text)
    changed = {**pg_a_csvlog.reading.events, line: {**pg_a_csvlog.reading.events[line], "statement": "changed"}}
    reading = Reading(pg_a_csvlog.reading.records, changed, pg_a_csvlog.reading.event_ids)
    assert compare("check", reading, pg_a_csvlog.events, "pg_a") == [
        ("check", line, "statement", "changed", PG_INSERT.text)]


def test_summary_of_every_captured_log(pg_a_stderr, pg_a_csvlog, pg_b_stderr, pg_b_csvlog, pg_c_stderr,
                                       pg_c_csvlog, mariadb_audit):
    """The per-log figures, printed for `pytest -s`: records counted here, the batch's loaded,
    quarantined and ignored rows, and field mismatches."""
    rows = []
    for found in (pg_a_stderr, pg_a_csvlog, pg_b_stderr, pg_b_csvlog, pg_c_stderr, pg_c_csvlog, mariadb_audit):
        batch = found.batch or {"rows_loaded": 0, "rows_quarantined": 0, "rows_ignored": 0}
        reading = found.reading
        rows.append((found.name, found.result["status"], reading.records, batch["rows_loaded"],
                     batch["rows_quarantined"], batch["rows_ignored"], len(found.mismatches),
                     f"{len(reading.events)}/{len(reading.quarantined)}/{sum(reading.ignored.values())}"))
    header = ("log", "status", "records", "loaded", "quarantined", "ignored", "mismatches",
              "read here: loaded/quarantined/ignored")
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    print("\n" + "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in (header, *rows)))
    for found in (pg_a_stderr, pg_a_csvlog, pg_b_stderr, pg_b_csvlog, pg_c_stderr, pg_c_csvlog, mariadb_audit):
        for mismatch in found.mismatches:
            print("mismatch:", mismatch)
    # Every log was read, and each loaded one reconciles: each record loaded, quarantined or ignored.
    assert all(records > 0 for _, _, records, *_ in rows)
    assert [r[0] for r in rows if r[1] == "loaded" and r[2] != sum(r[3:6])] == []
    assert [r[0] for r in rows if r[1] != "loaded"] == ["pg_b stderr (default prefix)"]
