"""PostgreSQL server logs with pgaudit records, as csvlog or stderr, into `access_events`.

Both readers bring the log into one shape (`pg_log_entries`, sql/sources/pgaudit_*_entries.sql);
one query classifies the entries and splits pgaudit's payload (sql/sources/pgaudit_records.sql):
every AUDIT record (one per relation with `pgaudit.log_relation`), connection authorised,
disconnection, failed authentication and permission-denied errors become events; every other
entry is ignored with a reason. Once the loader has analysed their statements,
sql/sources/pgaudit_raw_records.sql makes them records. A csvlog file is read once, straight into
`pg_records` (its entries are a view over DuckDB's reader); `raw_records` is a view over that copy.
Formats: docs/log-formats.md.
"""
from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import duckdb

from compliance import queries
from compliance.contract import ACCESS_EVENT_COLUMNS
from compliance.errors import ComplianceError
from compliance.sources.adapter import SourceFormat, StageOptions
from compliance.sources.staging import MAX_LINE_SIZE, READ_BUFFER_SIZE
from compliance.sources.text import line_shape

DEFAULT_LOG_LINE_PREFIX = "%m [%p] "
# The prefixes servers are shipped with, tried in this order when none is given
# (docs/log-formats.md): PostgreSQL's own default (10+), Debian's and Ubuntu's packages, AWS RDS and
# Aurora. The default comes first: Debian's reads its entries too (its %q part is optional), but
# a log whose entries never carry that part was written with the default.
COMMON_LOG_LINE_PREFIXES = (DEFAULT_LOG_LINE_PREFIX, "%m [%p] %q%u@%d ", "%t:%r:%u@%d:[%p]:")
# What a prefix needs so that a record can be attributed to an account, and the one to set.
ATTRIBUTABLE_PREFIX = "%m [%p] %q%u@%d "
# A line that starts like this is an entry of its own: a continuation line starts with a tab.
STAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}"
SAMPLE_LINES = 5000

# csvlog columns: PostgreSQL 12 and earlier write 23, 13 adds backend_type, 14+ leader_pid and query_id.
CSVLOG_COLUMNS = (
    "log_time", "user_name", "database_name", "process_id", "connection_from", "session_id",
    "session_line_num", "command_tag", "session_start_time", "virtual_transaction_id",
    "transaction_id", "error_severity", "sql_state_code", "message", "detail", "hint",
    "internal_query", "internal_query_pos", "context", "query", "query_pos", "location",
    "application_name", "backend_type", "leader_pid", "query_id")

# pgaudit's payload: AUDIT_TYPE, STATEMENT_ID, SUBSTATEMENT_ID, CLASS, COMMAND, OBJECT_TYPE,
# OBJECT_NAME, STATEMENT, PARAMETER[, ROWS]; a field is quoted only when it must be.
_FIELD = r'("(?:[^"]|"")*"|[^,"]*)'
AUDIT_PATTERN = (r"(?s)^AUDIT: (SESSION|OBJECT),(\d+),(\d+),([A-Z_]*),([^,]*),([^,]*),"
                 + _FIELD + "," + _FIELD + "," + _FIELD + r"(?:,(\d+))?$")
# Its fields up to an unquoted object, which hold no comma: where the usual payload's statement starts
# (sql/sources/pgaudit_records.sql).
AUDIT_HEAD_PATTERN = r"^AUDIT: (?:SESSION|OBJECT),\d+,\d+,[A-Z_]*,[^,]*,[^,]*,[^,\"]*,"
AUTH_FAILURE_PATTERN = (r'authentication failed for user|no pg_hba\.conf entry|pg_hba\.conf rejects'
                        r'|^role ".*" does not exist|^role ".*" is not permitted to log in')

SEVERITY = r"(DEBUG[1-5]?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|CONTEXT|LOCATION|STATEMENT)"
_STAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
_ZONE = r"(?: [A-Za-z0-9+\-]+)?"
# A client as PostgreSQL names it: an IPv4 or IPv6 address (its colons are no separator), `[local]`
# for a Unix socket, or a host name (log_hostname), which holds no colon.
_HOST = r"(?:[0-9A-Fa-f:.]+|\[local\]|[^ :()]*)"
# log_line_prefix escapes -> (field, pattern). Texts that may hold spaces (application name,
# backend type, command tag) are matched lazily: the severity after the prefix ends them.
PREFIX_ESCAPES = {
    "a": ("application_name", r".*?"),
    "u": ("user_name", r".*?"),
    "d": ("database_name", r".*?"),
    "r": ("connection_from", _HOST + r"(?:\(\d*\))?"),
    "h": ("remote_host", _HOST),
    "b": ("backend_type", r".*?"),
    "p": ("process_id", r"\d*"),
    "P": ("leader_pid", r"\d*"),
    "t": ("log_time", _STAMP + _ZONE),
    "m": ("log_time", _STAMP + r"\.\d{3}" + _ZONE),
    "n": ("epoch", r"\d+\.\d+"),
    "i": ("command_tag", r".*?"),
    "e": ("sql_state_code", r"[0-9A-Z]{5}"),
    "c": ("session_id", r"[0-9a-f]*\.[0-9a-f]*"),
    "l": ("session_line_num", r"\d*"),
    "s": ("session_start_time", _STAMP + _ZONE),
    "v": ("virtual_transaction_id", r"[-0-9/]*"),
    "x": ("transaction_id", r"\d*"),
    "Q": ("query_id", r"-?\d*"),
}
# PostgreSQL writes role and database names unescaped, and either may hold an '@'. Role names
# often do (directory and cloud log-ons: alice@city.gov), database names seldom: where an '@' sits
# next to %d in the prefix, the database name is read as holding none, so `%u@%d` splits at the
# last '@' and `%d@%u` at the first (docs/log-formats.md).
DATABASE_BESIDE_AT = r"[^@]*?"
ENTRY_FIELDS = ("log_time", "user_name", "database_name", "process_id", "connection_from", "remote_host",
                "session_id", "session_line_num", "command_tag", "sql_state_code", "application_name",
                "error_severity", "message")
_ESCAPE = re.compile(r"%(-?\d*)([a-zA-Z%])")

# Staged beside the access-event columns: kept per event in access_events.extra.
EXTRA_COLUMNS = ("database_name", "application_name", "audit_type", "audit_class", "statement_id",
                 "substatement_id", "object_type", "object_name", "parameter")


def prefix_patterns(log_line_prefix: str) -> tuple[str, str, list[str]]:
    """(start-of-entry pattern, whole-entry pattern, its group names) for a log_line_prefix.

    `%q` ends the prefix of processes without a session, so what follows it is optional. Fields the
    prefix lacks become empty groups at the end, so every entry has the same named fields.
    """
    head, _, tail = log_line_prefix.partition("%q")
    names: list[str] = []

    def convert(text: str) -> str:
        out, pos = [], 0
        for match in _ESCAPE.finditer(text):
            out.append(re.escape(text[pos:match.start()]))
            pos = match.end()
            padding, letter = match.groups()
            if letter == "%":
                out.append("%")
                continue
            if letter not in PREFIX_ESCAPES:
                raise ComplianceError(f"log_line_prefix escape %{letter} is not supported",
                                      field="log_line_prefix")
            field, pattern = PREFIX_ESCAPES[letter]
            if letter == "d" and (text[:match.start()].endswith("@") or text[match.end():].startswith("@")):
                pattern = DATABASE_BESIDE_AT
            pad = r" *" if padding else ""
            if field in names:  # a repeated escape matches again without a second group
                out.append(f"{pad}(?:{pattern}){pad}")
            else:
                names.append(field)
                out.append(f"{pad}({pattern}){pad}")
        out.append(re.escape(text[pos:]))
        return "".join(out)

    prefix = convert(head) + (f"(?:{convert(tail)})?" if tail else "")
    start = "^" + prefix + SEVERITY + ":  "
    names += ["error_severity", "message"]
    missing = [f for f in ENTRY_FIELDS if f not in names]
    entry = "(?s)^" + prefix + SEVERITY + ":  (.*)" + "()" * len(missing) + "$"
    return start, entry, names + missing


def _csvlog_width(path: Path) -> int:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        first = next(csv.reader(handle), None)
    if first is None:
        raise ComplianceError("empty file: no log records", path=str(path), line=1)
    if not 23 <= len(first) <= len(CSVLOG_COLUMNS):
        raise ComplianceError(
            f"not a PostgreSQL csvlog: the first record has {len(first)} fields (expected 23 to 26)",
            path=str(path), line=1)
    return len(first)


def _classify(con: duckdb.DuckDBPyConnection, options: StageOptions) -> None:
    """pg_log_entries -> pg_records, whose statements are analysed before they become raw_records."""
    queries.execute(con, "sources/pgaudit_records",
                    {"audit_head_pattern": AUDIT_HEAD_PATTERN, "audit_pattern": AUDIT_PATTERN,
                     "auth_failure_pattern": AUTH_FAILURE_PATTERN, "source": options.source})


def _settle(con: duckdb.DuckDBPyConnection) -> None:
    """What concerns few of pg_records' rows, once every record has its line."""
    queries.execute(con, "sources/pgaudit_records_first_texts")
    queries.execute(con, "sources/pgaudit_records_repeats")


def stage_csvlog(con: duckdb.DuckDBPyConnection, path: Path, options: StageOptions) -> list[str]:
    """Stage a csvlog file (23 to 26 columns, detected from its first record), read once."""
    width = _csvlog_width(Path(path))
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    queries.execute(con, "sources/pgaudit_csvlog_file",
                    {"path": str(path), "columns": {c: "VARCHAR" for c in CSVLOG_COLUMNS[:width]},
                     "max_line_size": MAX_LINE_SIZE, "buffer_size": READ_BUFFER_SIZE})
    queries.execute(con, "sources/pgaudit_csvlog_entries")
    _classify(con, options)
    queries.execute(con, "sources/pgaudit_csvlog_numbers")
    lines = line_shape(Path(path)).lines
    [(numbered,)] = queries.execute(con, "sources/pgaudit_csvlog_numbered", {"lines": lines}).fetchall()
    if not numbered:
        queries.execute(con, "sources/pgaudit_csvlog_placed")
    _settle(con)
    return [*ACCESS_EVENT_COLUMNS, *EXTRA_COLUMNS]


def _stamped_sample(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of the lines among the file's first SAMPLE_LINES that start an entry."""
    stamp = re.compile(STAMP_PATTERN)
    found = []
    with Path(path).open("r", encoding="utf-8", errors="replace", newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            if number > SAMPLE_LINES:
                break
            if stamp.match(line):
                found.append((number, line.rstrip("\n")))
    return found


def _matching_prefix(sample: list[tuple[int, str]]) -> str | None:
    """The first common prefix that reads every sampled entry."""
    for prefix in COMMON_LOG_LINE_PREFIXES:
        start = re.compile(prefix_patterns(prefix)[0])
        if all(start.match(line) for _, line in sample):
            return prefix
    return None


def choose_log_line_prefix(path: Path, given: str | None) -> str:
    """The prefix to read a stderr log with: the one given, else the common one that reads it.

    Refused, with one line naming the prefix to pass: a file whose entries the given prefix mostly
    cannot read, a file no common prefix reads when none is given, and a prefix without the user
    (%u), whose records no rule could attribute to an account.
    """
    sample = _stamped_sample(path)
    likely = _matching_prefix(sample) if sample else None
    if given is None:
        if likely is None:
            raise ComplianceError(
                "cannot tell the log_line_prefix from the file (none of "
                + ", ".join(repr(p) for p in COMMON_LOG_LINE_PREFIXES)
                + " reads its entries): pass --log-line-prefix with the server's setting (SHOW log_line_prefix)",
                path=str(path), field="log_line_prefix")
        prefix = likely
    else:
        prefix = given
        start = re.compile(prefix_patterns(prefix)[0])
        misses = [number for number, line in sample if not start.match(line)]
        if sample and 2 * len(misses) > len(sample):
            hint = (f"pass --log-line-prefix {likely!r}" if likely
                    else "pass --log-line-prefix with the server's setting (SHOW log_line_prefix)")
            raise ComplianceError(
                f"{len(misses)} of the first {len(sample)} log entries do not match log_line_prefix {prefix!r}, "
                f"the first at line {misses[0]}: {hint}", path=str(path), field="log_line_prefix")
    if "%u" not in prefix:
        raise ComplianceError(
            f"log_line_prefix {prefix!r} records no user, so no record can be attributed to an account: "
            f"set log_line_prefix = '{ATTRIBUTABLE_PREFIX}' on the server (or add %u to it) and ingest the "
            "logs written since", path=str(path), field="log_line_prefix")
    _refuse_a_sessionless_q_prefix(path, prefix, sample)
    return prefix


def _refuse_a_sessionless_q_prefix(path: Path, prefix: str, sample: list[tuple[int, str]]) -> None:
    """%q makes what follows it optional, so a prefix with the user after %q reads a log written
    with a prefix that has none ('%m [%p] ') line by line. AUDIT records always come from a session:
    when not one of the sampled ones has a user, the server wrote none, and the file is refused as
    such a log is rather than quarantined record by record for an empty account."""
    head, q, tail = prefix.partition("%q")
    if not q or "%u" not in tail:
        return
    start, _, names = prefix_patterns(prefix)
    user_group = names.index(PREFIX_ESCAPES["u"][0]) + 1
    audit_entry = re.compile(start + "AUDIT: ")
    users = [found.group(user_group) for _, line in sample if (found := audit_entry.match(line))]
    if users and not any(users):
        raise ComplianceError(
            f"log_line_prefix {prefix!r}: none of the {len(users)} AUDIT records among the first "
            f"{len(sample)} log entries has the part after %q ({tail!r}), so the server's prefix records no "
            f"user: set log_line_prefix = '{ATTRIBUTABLE_PREFIX}' on the server, or pass the prefix it uses "
            "(SHOW log_line_prefix)", path=str(path), field="log_line_prefix")


def stage_stderr(con: duckdb.DuckDBPyConnection, path: Path, options: StageOptions) -> list[str]:
    """Stage a stderr log written with `options.log_line_prefix`, else with the common prefix that
    reads it (`choose_log_line_prefix`)."""
    return stage_stderr_with(con, path, choose_log_line_prefix(Path(path), options.log_line_prefix), options)


def stage_stderr_with(con: duckdb.DuckDBPyConnection, path: Path, prefix: str, options: StageOptions) -> list[str]:
    """Stage a stderr log as written with `prefix`, whatever it lacks."""
    start, entry, names = prefix_patterns(prefix)
    queries.execute(con, "sources/pgaudit_stderr_entries",
                    {"path": str(path), "start_pattern": start, "entry_pattern": entry, "field_names": names,
                     "stamp_pattern": STAMP_PATTERN})
    _classify(con, options)
    _settle(con)
    return [*ACCESS_EVENT_COLUMNS, *EXTRA_COLUMNS]


CSVLOG = SourceFormat(
    name="pgaudit-csvlog",
    description="PostgreSQL csvlog with pgaudit records",
    table="access_events",
    stage=stage_csvlog,
    dialect="postgres",
    extra_columns=EXTRA_COLUMNS,
    statements_from="pg_records",
    records_query="sources/pgaudit_raw_records",
)
STDERR = replace(
    CSVLOG,
    name="pgaudit-stderr",
    description="PostgreSQL stderr log with pgaudit records (see --log-line-prefix)",
    stage=stage_stderr,
    takes_log_line_prefix=True,
)
