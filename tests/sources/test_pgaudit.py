"""PostgreSQL logs with pgaudit records: csvlog (23 to 26 columns) and stderr with any log_line_prefix."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.errors import ComplianceError
from compliance.sources.formats import ingest
from compliance.sources.pgaudit import prefix_patterns

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audit_logs"
TZ = "America/New_York"

# A statement with everything that needs care: newlines (CRLF too), commas, doubled quotes, unicode.
TRICKY = ("/* case=CP-51-CR-0001234-2024 purpose=C */ SELECT first_name,\r\n  last_name\n"
          "FROM public.persons WHERE last_name = 'O''Brien' AND alias = 'Jos\u00e9 \"Pepe\", Jr.'")


def pgaudit_field(value: str) -> str:
    """pgaudit's own quoting (append_valid_csv)."""
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def audit(statement_id: int, klass: str, command: str, object_name: str, statement: str,
          parameter: str = "<not logged>", audit_type: str = "SESSION", rows: str | None = None) -> str:
    fields = [audit_type, str(statement_id), "1", klass, command, "TABLE" if object_name else "",
              pgaudit_field(object_name), pgaudit_field(statement), parameter]
    return "AUDIT: " + ",".join(fields) + ("," + rows if rows is not None else "")


def csv_text(value) -> str:
    """How csvlog writes a field: text always quoted with inner quotes doubled, numbers bare."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace('"', '""') + '"'


def csvlog_record(line: int, message: str, *, user="ice_user", severity="LOG", state="00000",
                  tag="SELECT", query=None, session="65e77a1b.a112", width=26,
                  when="2024-03-05 14:22:31.123 EST") -> str:
    fields = [when, csv_text(user), csv_text("pars" if user else None), 41234,
              csv_text("10.1.2.3:52344" if user else None), session, line, csv_text(tag),
              "2024-03-05 14:20:01 EST", "3/17", 0, severity, state, csv_text(message), "", "", "", "", "",
              csv_text(query), "", "", csv_text("PARS Web Portal"), csv_text("client backend"), "", 0]
    return ",".join(str(f) for f in fields[:width]) + "\n"


@pytest.fixture
def con():
    connection = warehouse.memory()
    yield connection
    connection.close()


def events(con, columns="event_id, action, outcome, account_id, statement, objects") -> list[tuple]:
    return con.execute(f"SELECT {columns} FROM access_events ORDER BY source_line").fetchall()


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_csvlog_records_become_events_with_exact_statements(con, tmp_path):
    path = write(tmp_path / "postgresql.csv", "".join([
        csvlog_record(1, "connection received: host=10.1.2.3 port=52344", user=None, tag=""),
        csvlog_record(2, "connection authorized: user=ice_user database=pars application_name=PARS Web Portal",
                      tag="authentication"),
        csvlog_record(3, audit(1, "READ", "SELECT", "public.persons", TRICKY)),
        # pgaudit.log_relation: one record per relation of the same statement.
        csvlog_record(4, audit(2, "READ", "SELECT", "public.arrests",
                               "SELECT * FROM arrests a JOIN persons p USING (person_id)")),
        csvlog_record(5, audit(2, "READ", "SELECT", "public.persons",
                               "SELECT * FROM arrests a JOIN persons p USING (person_id)")),
        csvlog_record(6, audit(3, "READ", "COPY", "public.persons", "COPY persons TO STDOUT")),
        csvlog_record(7, "permission denied for table audit_log", severity="ERROR", state="42501",
                      tag="DELETE", query="DELETE FROM audit_log"),
        csvlog_record(8, "disconnection: session time: 0:00:01.001 user=ice_user database=pars host=10.1.2.3 "
                         "port=52344", tag="idle"),
        csvlog_record(1, 'password authentication failed for user "ice_user"', severity="FATAL",
                      state="28P01", tag="authentication", session="65e77a1c.a113"),
        csvlog_record(9, "checkpoint starting: time", user=None, tag=""),
    ]))
    result = ingest(con, path, "pgaudit-csvlog", TZ, source_name="pars_db")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_ignored) == (10, 8, 0, 2)
    assert result.ignored_reasons == {"connection received": 1, "server process message": 1}
    assert events(con) == [
        ("pars_db:65e77a1b.a112:2", "login", "success", "ice_user", None, None),
        ("pars_db:65e77a1b.a112:3", "search", "success", "ice_user", TRICKY, "public.persons"),
        ("pars_db:65e77a1b.a112:4", "search", "success", "ice_user",
         "SELECT * FROM arrests a JOIN persons p USING (person_id)", "public.arrests"),
        ("pars_db:65e77a1b.a112:5", "search", "success", "ice_user",
         "SELECT * FROM arrests a JOIN persons p USING (person_id)", "public.persons"),
        ("pars_db:65e77a1b.a112:6", "export", "success", "ice_user", "COPY persons TO STDOUT", "public.persons"),
        ("pars_db:65e77a1b.a112:7", "delete", "failure", "ice_user", "DELETE FROM audit_log", "audit_log"),
        ("pars_db:65e77a1b.a112:8", "logout", "success", "ice_user", None, None),
        ("pars_db:65e77a1c.a113:1", "login_failed", "failure", "ice_user", None, None),
    ]
    # The physical line where each record starts: the tricky statement spans two extra lines.
    assert [r[0] for r in con.execute("SELECT source_line FROM access_events ORDER BY source_line").fetchall()] == [
        2, 3, 6, 7, 8, 9, 10, 11]
    row = con.execute("""SELECT event_ts, client_addr, case_number, purpose_code, sequence_no, session_id, source,
                                source_action, extra FROM access_events WHERE event_id = 'pars_db:65e77a1b.a112:3'
                      """).fetchall()[0]
    assert row[0].isoformat() == "2024-03-05T19:22:31.123000+00:00"  # EST read in --source-tz
    assert row[1:8] == ("10.1.2.3", "CP-51-CR-0001234-2024", "C", 3, "65e77a1b.a112", "pars_db", "SELECT")
    assert json.loads(row[8]) == {
        "database_name": "pars", "application_name": "PARS Web Portal", "audit_type": "SESSION",
        "audit_class": "READ", "statement_id": "1", "substatement_id": "1", "object_type": "TABLE",
        "object_name": "public.persons", "parameter": "<not logged>"}


@pytest.mark.parametrize("width", [23, 24, 25, 26])
def test_csvlog_versions_23_to_26_columns(con, tmp_path, width):
    path = write(tmp_path / "postgresql.csv", csvlog_record(
        1, audit(1, "READ", "SELECT", "public.persons", "SELECT 1 FROM persons"), width=width))
    result = ingest(con, path, "pgaudit-csvlog", TZ)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert events(con, "event_id, statement") == [("pgaudit-csvlog:65e77a1b.a112:1", "SELECT 1 FROM persons")]


def test_csvlog_of_another_shape_is_one_clear_error(con, tmp_path):
    path = write(tmp_path / "x.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(ComplianceError, match=r"line 1: not a PostgreSQL csvlog: the first record has 3 fields"):
        ingest(con, path, "pgaudit-csvlog", TZ)


def test_csvlog_bad_records_are_quarantined_not_lost(con, tmp_path):
    path = write(tmp_path / "postgresql.csv", "".join([
        csvlog_record(1, audit(1, "READ", "SELECT", "public.persons", "SELECT 1 FROM persons")),
        csvlog_record(2, "AUDIT: SESSION,2,1,READ"),  # cut short
        '2024-03-05 14:22:32.000 EST,"ice_user","pars",1,\n',  # too few fields
        csvlog_record(3, audit(3, "READ", "SELECT", "public.persons", "SELECT 3 FROM persons"),
                      when="not a time"),
    ]))
    result = ingest(con, path, "pgaudit-csvlog", TZ)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    quarantined = con.execute("SELECT line_no, field, reason FROM quarantine ORDER BY line_no").fetchall()
    assert [(line, field) for line, field, _ in quarantined] == [(2, "message"), (3, None), (4, "event_ts")]
    assert quarantined[0][2] == "not a well-formed pgaudit record"
    assert quarantined[1][2].startswith("MISSING COLUMNS")
    assert quarantined[2][2] == "cannot read as timestamp with time zone: not a time"


def test_csvlog_statement_once_and_rows_and_parameters(con, tmp_path):
    path = write(tmp_path / "postgresql.csv", "".join([
        csvlog_record(1, audit(5, "WRITE", "UPDATE", "public.persons",
                               "UPDATE persons SET note = $1 WHERE person_id = $2",
                               parameter=pgaudit_field(pgaudit_field("x,y") + ",P7"),
                               rows="1")),
        csvlog_record(2, audit(5, "READ", "SELECT", "public.arrests", "<previously logged>",
                               parameter="<previously logged>", audit_type="OBJECT", rows="1")),
    ]))
    ingest(con, path, "pgaudit-csvlog", TZ)
    assert events(con, "action, statement, result_count, extra ->> 'parameter'") == [
        ("update", "UPDATE persons SET note = $1 WHERE person_id = $2", 1, '"""x,y"",P7"'),
        ("search", "UPDATE persons SET note = $1 WHERE person_id = $2", 1, "<previously logged>"),
    ]


def test_reingesting_a_log_is_idempotent_and_ids_are_stable(con, tmp_path):
    lines = [csvlog_record(1, audit(1, "READ", "SELECT", "public.persons", "SELECT 1 FROM persons"))]
    path = write(tmp_path / "postgresql.csv", "".join(lines))
    ingest(con, path, "pgaudit-csvlog", TZ)
    before = warehouse.table_checksums(con)
    assert ingest(con, path, "pgaudit-csvlog", TZ).status == "unchanged"
    assert warehouse.table_checksums(con) == before
    # The log grows (PostgreSQL appends): the batch is replaced, the first event keeps its id.
    write(path, "".join(lines + [csvlog_record(2, audit(2, "READ", "SELECT", "public.arrests", "SELECT 2"))]))
    assert ingest(con, path, "pgaudit-csvlog", TZ).status == "replaced"
    assert [r[0] for r in events(con)] == ["pgaudit-csvlog:65e77a1b.a112:1", "pgaudit-csvlog:65e77a1b.a112:2"]


STDERR_LINES = [
    "2024-03-05 14:22:30.001 EST [41234] ice_user@pars PARS Web Portal: LOG:  connection authorized: "
    "user=ice_user database=pars application_name=PARS Web Portal",
    "2024-03-05 14:22:31.123 EST [41234] ice_user@pars PARS Web Portal: LOG:  "
    + audit(7, "READ", "SELECT", "public.arrest", "SELECT name, dob FROM arrest WHERE place_of_birth <> 'USA'"),
    # PostgreSQL writes a tab after each newline inside a message.
    "2024-03-05 14:22:32.000 EST [41234] ice_user@pars PARS Web Portal: LOG:  "
    + audit(8, "READ", "SELECT", "public.persons", TRICKY).replace("\n", "\n\t"),
    "2024-03-05 14:22:33.000 EST [41234] ice_user@pars PARS Web Portal: ERROR:  permission denied for table audit_log",
    "2024-03-05 14:22:33.000 EST [41234] ice_user@pars PARS Web Portal: STATEMENT:  DELETE FROM audit_log",
    "2024-03-05 14:22:40.000 EST [41240] @ : LOG:  checkpoint starting: time",
    "2024-03-05 14:22:41.000 EST [41241] ice_user@pars [unknown]: FATAL:  password authentication failed for "
    'user "ice_user"',
    "2024-03-05 14:22:41.000 EST [41241] ice_user@pars [unknown]: DETAIL:  Connection matched pg_hba.conf line 91",
]


def test_stderr_with_a_prefix_whose_application_name_has_spaces(con, tmp_path):
    path = write(tmp_path / "postgresql.log", "\n".join(STDERR_LINES) + "\n")
    result = ingest(con, path, "pgaudit-stderr", TZ, log_line_prefix="%m [%p] %u@%d %a: ")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 5, 0)
    assert result.ignored_reasons == {"detail of the entry above": 2, "server process message": 1}
    assert events(con, "action, outcome, account_id, statement, source_line") == [
        ("login", "success", "ice_user", None, 1),
        ("search", "success", "ice_user", "SELECT name, dob FROM arrest WHERE place_of_birth <> 'USA'", 2),
        ("search", "success", "ice_user", TRICKY, 3),
        ("delete", "failure", "ice_user", "DELETE FROM audit_log", 6),
        ("login_failed", "failure", "ice_user", None, 9),
    ]
    assert con.execute("SELECT DISTINCT extra ->> 'application_name' FROM access_events WHERE statement IS NOT NULL"
                       ).fetchall() == [("PARS Web Portal",)]


def test_stderr_rds_style_prefix_fixture(con):
    # %t:%r:%u@%d:[%p]: as AWS RDS writes it; the file is our own fixture.
    result = ingest(con, FIXTURES / "pgaudit_stderr_rds.log", "pgaudit-stderr", "UTC",
                    log_line_prefix="%t:%r:%u@%d:[%p]:")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 4, 0)
    utc = dt.timezone.utc
    assert events(con, "event_ts, client_addr, account_id, action, objects") == [
        (dt.datetime(2024, 3, 5, 19, 22, 31, tzinfo=utc), "10.1.2.3", "ice_user", "search", "public.arrest"),
        (dt.datetime(2024, 3, 5, 19, 22, 35, tzinfo=utc), "10.1.2.3", "ice_user", "search", "public.persons"),
        (dt.datetime(2024, 3, 5, 19, 23, tzinfo=utc), "10.9.8.7", "svc_pars_etl", "insert", "public.arrests"),
        (dt.datetime(2024, 3, 5, 19, 24, tzinfo=utc), "10.1.2.3", "ice_user", "other", None),
    ]
    assert con.execute("SELECT disables_audit FROM statement_analysis WHERE statement_hash = "
                       "statement_hash(?)", ["SET pgaudit.log = 'none'"]).fetchall() == [(True,)]


def debian_log() -> str:
    """Entries as Debian's packages write them (log_line_prefix '%m [%p] %q%u@%d '): start-up lines
    without a session have no user, so only their first part matches the PostgreSQL default."""
    lines = ["2024-03-05 14:22:00.001 EST [41200] LOG:  starting PostgreSQL 15.8",
             "2024-03-05 14:22:00.002 EST [41200] LOG:  database system is ready to accept connections"]
    for n in range(1, 7):
        lines.append(f"2024-03-05 14:22:3{n}.000 EST [4123{n}] ice_user@pars LOG:  "
                     + audit(n, "READ", "SELECT", "public.persons",
                             f"SELECT * FROM persons\nWHERE person_id = 'P{n}'").replace("\n", "\n\t"))
    return "\n".join(lines) + "\n"


def test_stderr_prefix_is_detected_when_none_is_given(con, tmp_path):
    path = write(tmp_path / "postgresql.log", debian_log())
    result = ingest(con, path, "pgaudit-stderr", TZ)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_ignored) == (8, 6, 0, 2)
    assert [r[0] for r in con.execute("SELECT subject_person_id FROM access_events ORDER BY source_line"
                                      ).fetchall()] == ["P1", "P2", "P3", "P4", "P5", "P6"]


@pytest.mark.parametrize("wrong", ["%m [%p] ", "%t [%p] ", "%m %u %d: ", "%t:%r:%u@%d:[%p]:"])
def test_stderr_wrong_prefix_refuses_the_file_naming_the_right_one(con, tmp_path, wrong):
    """A prefix that does not match the entries must neither swallow them as continuation lines nor
    quarantine the file as one record: the file is refused, naming the prefix it was written with."""
    path = write(tmp_path / "postgresql.log", debian_log())
    with pytest.raises(ComplianceError) as refused:
        ingest(con, path, "pgaudit-stderr", TZ, log_line_prefix=wrong)
    message = str(refused.value)
    assert "\n" not in message and "field log_line_prefix" in message
    assert "--log-line-prefix '%m [%p] %q%u@%d '" in message
    assert con.execute("SELECT count(*) FROM access_events").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


def test_stderr_entry_the_prefix_cannot_read_is_quarantined_not_absorbed(con, tmp_path):
    """One foreign entry among many (the prefix changed at a reload) becomes its own quarantined
    record: it is never glued onto the entry above as a continuation line."""
    lines = debian_log().splitlines()
    lines.insert(4, "2024-03-05 14:22:32 EST:10.1.2.3(5):ice_user@pars:[4123]:LOG:  AUDIT: SESSION,9,1,READ,"
                    "SELECT,,,SELECT 1,<not logged>")
    path = write(tmp_path / "postgresql.log", "\n".join(lines) + "\n")
    result = ingest(con, path, "pgaudit-stderr", TZ, log_line_prefix="%m [%p] %q%u@%d ")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_ignored) == (9, 6, 1, 2)
    assert con.execute("SELECT line_no, field FROM quarantine").fetchall() == [(5, "log_line_prefix")]
    assert con.execute("SELECT statement FROM access_events WHERE source_line = 3").fetchall() == [
        ("SELECT * FROM persons\nWHERE person_id = 'P1'",)]


def test_stderr_without_a_user_in_the_prefix_is_refused_with_the_setting_to_use(con, tmp_path):
    """PostgreSQL's default prefix ('%m [%p] ') carries no user: no record could be attributed, so
    the file is refused with the exact log_line_prefix to set (docs/log-formats.md)."""
    entries = [f"2024-03-05 14:22:3{n}.000 EST [4123{n}] LOG:  "
               + audit(n, "READ", "SELECT", "public.persons", "SELECT * FROM persons") for n in range(1, 4)]
    path = write(tmp_path / "postgresql.log", "\n".join(entries) + "\n")
    for given in (None, "%m [%p] "):
        with pytest.raises(ComplianceError, match=r"records no user.*log_line_prefix = '%m \[%p\] %q%u@%d '"):
            ingest(con, path, "pgaudit-stderr", TZ, log_line_prefix=given)


@pytest.mark.parametrize("given", ["%m [%p] %q%u@%d ", "%m [%p] %q%u@%d %r app=%a ", "%m [%p] %q[user=%u,db=%d] "])
def test_a_default_prefix_log_read_with_a_q_prefix_is_refused_not_quarantined(con, tmp_path, given):
    """%q makes the user part optional, so a prefix with %q matches a log written with the default
    '%m [%p] ' line by line; its AUDIT records, which always come from a session, then carry no
    user. That is the default log, refused as one, not a file of records quarantined for no account."""
    entries = [f"2024-03-05 14:22:3{n}.000 EST [4123{n}] LOG:  "
               + audit(n, "READ", "SELECT", "public.persons", "SELECT * FROM persons") for n in range(1, 4)]
    path = write(tmp_path / "postgresql.log", "\n".join(entries) + "\n")
    with pytest.raises(ComplianceError) as refused:
        ingest(con, path, "pgaudit-stderr", TZ, log_line_prefix=given)
    message = str(refused.value)
    assert "\n" not in message and "field log_line_prefix" in message
    assert "none of the 3 AUDIT records" in message and "log_line_prefix = '%m [%p] %q%u@%d '" in message
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


def test_prefix_patterns_cover_q_and_padding():
    start, entry, names = prefix_patterns("%m [%-6p] %q%u@%d ")
    assert names[:4] == ["log_time", "process_id", "user_name", "database_name"]
    import re

    assert re.match(start, "2024-03-05 14:22:31.123 EST [41    ] LOG:  database system is ready")
    assert re.match(start, "2024-03-05 14:22:31.123 EST [41    ] ice_user@pars LOG:  AUDIT: x")
    with pytest.raises(ComplianceError, match="escape %z is not supported"):
        prefix_patterns("%z ")


def test_cli_ingests_a_stderr_log_with_its_prefix(compliance_cli, tmp_path):
    home = tmp_path / "home"
    done = compliance_cli(home, "ingest", "--format", "pgaudit-stderr", "--log-line-prefix", "%t:%r:%u@%d:[%p]:",
                          "--source-tz", "UTC", "--source-name", "pars_db",
                          str(FIXTURES / "pgaudit_stderr_rds.log"))
    assert done.returncode == 0, done.stderr
    assert "1 files: 6 rows read, 4 loaded, 0 quarantined, 2 ignored" in done.stdout
    query = compliance_cli(home, "query", "SELECT source, count(*) AS n FROM access_events GROUP BY ALL")
    assert query.stdout.splitlines() == ["source,n", "pars_db,4"]


def test_cli_refuses_options_that_do_not_apply(compliance_cli, tmp_path):
    done = compliance_cli(tmp_path / "home", "ingest", "--format", "pgaudit-csvlog", "--log-line-prefix", "%m ",
                          str(FIXTURES / "pgaudit_stderr_rds.log"))
    assert done.returncode == 2
    assert "field log_line_prefix: --log-line-prefix applies to pgaudit-stderr only" in done.stderr


def stderr_entry(identity: str, message: str, host: str = "10.1.2.3(52344)") -> str:
    """One entry as a server with log_line_prefix '%t:%r:%u@%d:[%p]:' (AWS RDS) writes it."""
    return f"2024-03-05 19:24:00 UTC:{host}:{identity}:[41234]:LOG:  {message}"


@pytest.mark.parametrize(("role", "database"), [
    ("PPD-D01-0417@evil", "pars"),  # an '@' inside the role is no separator
    ("@x", "pars"),
    ("alice@city.gov@ad", "pars"),
    ("[unknown]", "[unknown]"),
])
def test_stderr_role_names_with_an_at_sign_are_kept_whole(con, tmp_path, role, database):
    path = write(tmp_path / "postgresql.log", stderr_entry(
        f"{role}@{database}", audit(9, "MISC", "SET", "", "SET pgaudit.log = 'none'")) + "\n")
    result = ingest(con, path, "pgaudit-stderr", "UTC", log_line_prefix="%t:%r:%u@%d:[%p]:")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert con.execute("SELECT account_id, extra ->> 'database_name' FROM access_events").fetchall() == [
        (role, database)]


def test_stderr_database_first_splits_at_the_first_at_sign(con, tmp_path):
    path = write(tmp_path / "postgresql.log",
                 "2024-03-05 19:24:00 UTC [41234] pars@PPD-D01-0417@evil LOG:  "
                 + audit(9, "MISC", "SET", "", "SET pgaudit.log = 'none'") + "\n")
    ingest(con, path, "pgaudit-stderr", "UTC", log_line_prefix="%t [%p] %d@%u ")
    assert con.execute("SELECT account_id, extra ->> 'database_name' FROM access_events").fetchall() == [
        ("PPD-D01-0417@evil", "pars")]


@pytest.mark.parametrize(("prefix", "host", "client_addr"), [
    ("%t:%r:%u@%d:[%p]:", "2001:db8::1(52344)", "2001:db8::1"),
    ("%t:%r:%u@%d:[%p]:", "::1(52344)", "::1"),
    ("%t:%r:%u@%d:[%p]:", "[local]", "[local]"),
    ("%t:%r:%u@%d:[%p]:", "db-client.city.gov(52344)", "db-client.city.gov"),
    ("%t:%h:%u@%d:[%p]:", "2001:db8::1", "2001:db8::1"),
    ("%t:%h:%u@%d:[%p]:", "fe80::beef", "fe80::beef"),
    ("%t:%h:%u@%d:[%p]:", "10.1.2.3", "10.1.2.3"),
])
def test_stderr_ipv6_hosts_keep_every_group(con, tmp_path, prefix, host, client_addr):
    path = write(tmp_path / "postgresql.log", stderr_entry(
        "ice_user@pars", audit(7, "READ", "SELECT", "public.arrest", "SELECT 1"), host=host) + "\n")
    ingest(con, path, "pgaudit-stderr", "UTC", log_line_prefix=prefix)
    assert con.execute("SELECT account_id, client_addr FROM access_events").fetchall() == [("ice_user", client_addr)]


def test_stderr_role_at_x_switching_auditing_off_is_flagged(con, tmp_path):
    """The role '@x' is attributed, not quarantined, so its SET pgaudit.log raises audit_tamper."""
    from compliance.policy.pack import load_pack
    from compliance.rules.catalog import load_rules
    from compliance.rules.engine import run_rule
    from compliance.rules.views import install_views

    path = write(tmp_path / "postgresql.log", stderr_entry(
        "@x@pars", audit(9, "MISC", "SET", "", "SET pgaudit.log='none'")) + "\n")
    result = ingest(con, path, "pgaudit-stderr", "UTC", log_line_prefix="%t:%r:%u@%d:[%p]:")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    pack = load_pack()
    install_views(con, pack)
    [rule] = [r for r in load_rules() if r.rule_id == "audit_tamper"]
    flags = run_rule(con, rule, "2024-03", pack.timezone)
    assert [(row[0], row[2]) for row in flags] == [("access_event", "@x")]


def test_prepared_statements_take_the_prepared_action_in_either_audit_class(con, tmp_path):
    """pgaudit logs PREPARE under the class of the statement prepared: READ,PREPARE and WRITE,PREPARE
    must both say what the statement does (see the action table in docs/log-formats.md)."""
    read = "PREPARE find (text) AS SELECT * FROM persons WHERE person_id = $1"
    write_ = "PREPARE put AS INSERT INTO persons (person_id) VALUES ('P1')"
    path = write(tmp_path / "postgresql.csv", "".join([
        csvlog_record(1, audit(1, "READ", "PREPARE", "", read), tag="PREPARE"),
        csvlog_record(2, audit(2, "WRITE", "PREPARE", "", write_), tag="PREPARE"),
    ]))
    ingest(con, path, "pgaudit-csvlog", TZ, source_name="pars_db")
    assert events(con, "action, objects") == [("search", "persons"), ("insert", "persons")]


def test_statements_keep_their_leading_and_trailing_whitespace(con, tmp_path):
    """A statement is evidence: it is stored byte for byte, spaces and newlines at its ends included."""
    padded = "  \n SELECT * FROM persons WHERE person_id = 'P1' \t\n"
    path = write(tmp_path / "postgresql.csv", csvlog_record(1, audit(1, "READ", "SELECT", "public.persons", padded)))
    ingest(con, path, "pgaudit-csvlog", TZ, source_name="pars_db")
    assert events(con, "statement") == [(padded,)]


def test_previously_logged_takes_the_text_of_its_own_backend_when_a_pid_is_reused(con, tmp_path):
    """Without %c a backend is known by its pid, which the server reuses: a `<previously logged>`
    record takes the nearest earlier text of the same pid, statement and substatement (the one its
    own backend wrote), not the first in the file."""
    def entry(second: int, statement_id: int, statement: str) -> str:
        return (f"2024-03-05 19:24:{second:02d} UTC:10.1.2.3(52344):ice_user@pars:[41234]:LOG:  "
                + audit(statement_id, "READ", "SELECT", "public.persons", statement) + "\n")
    first, second = "SELECT * FROM persons WHERE person_id = 'P1'", "SELECT * FROM persons WHERE person_id = 'P2'"
    path = write(tmp_path / "postgresql.log", "".join([
        entry(1, 1, first), entry(2, 1, "<previously logged>"),
        # The backend ends; a new one gets pid 41234 again and its statement ids restart at 1.
        entry(3, 1, second), entry(4, 1, "<previously logged>"),
    ]))
    ingest(con, path, "pgaudit-stderr", "UTC", log_line_prefix="%t:%r:%u@%d:[%p]:")
    assert events(con, "statement, subject_person_id") == [
        (first, "P1"), (first, "P1"), (second, "P2"), (second, "P2")]
