"""Real servers end to end: a private PostgreSQL with pgaudit and a private MariaDB with
server_audit run a scripted workload of allowed and forbidden queries; their own logs are ingested
and the resulting access_events rows are checked case by case.

Each workload case is one clear situation (a lookup with a case number, a birthplace sweep, a
wildcard name search, a table dump, an export, a denied delete on the audit table, a failed login,
auditing switched off). The module fixtures `pg_warehouse` and `mariadb_warehouse` hold the
ingested warehouse and the cases' statements, so flag assertions can be added next to these.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from compliance import pipeline, warehouse
from compliance.errors import ComplianceError
from compliance.sources import live_postgres

from servers import start_mariadb, start_postgres

TZ = "America/New_York"
# Application name with spaces, a prefix with %q: what a real deployment looks like.
LOG_LINE_PREFIX = "%m [%p] %q%u@%d %r app=%a "
PG_SETTINGS = {
    "log_destination": "'stderr,csvlog'", "log_filename": "'postgresql'",
    "log_line_prefix": f"'{LOG_LINE_PREFIX}'", "log_timezone": f"'{TZ}'",
    "log_connections": "on", "log_disconnections": "on",
    "pgaudit.log": "'all'", "pgaudit.log_relation": "on",
}


@dataclass(frozen=True)
class Case:
    name: str
    user: str
    sql: str
    app: str | None = None     # PostgreSQL application_name (default: by user, see _pg_workload)
    client: str | None = None  # MariaDB client address (default 127.0.0.1)


# Cases both servers run with the same SQL text.
LOOKUP_WITH_CASE = Case("lookup_with_case", "clerk",
                        "/* case=CP-51-CR-0001234-2024 purpose=C */ SELECT first_name, last_name FROM persons "
                        "WHERE person_id = 'P100'")
ICE_SWEEPS = (
    Case("birthplace_sweep", "ice_user",
         "SELECT person_id, first_name, last_name FROM persons WHERE place_of_birth <> 'USA'"),
    Case("name_wildcard", "ice_user", "SELECT person_id, first_name FROM persons WHERE last_name LIKE 'GAR%'"),
    Case("dump_without_where", "ice_user", "SELECT * FROM arrests"),
)
DENIED_AUDIT_DELETE = Case("denied_audit_delete", "ice_user", "DELETE FROM audit_log")
# Service accounts (the pack entries are SERVICE_ACCOUNT_ENTRIES): the ETL account's scheduled
# whole-table read from its own program is its job; the same account from a SQL client or another
# host, and the report account reading outside its window, are misuse.
PG_SERVICE_CASES = (
    Case("scheduled_etl_read", "svc_etl", "SELECT * FROM persons", app="pars-etl"),
    Case("etl_account_from_a_sql_client", "svc_etl",
         "SELECT person_id, last_name FROM persons WHERE last_name = 'Garcia'", app="DBeaver 24.1.0"),
    Case("report_account_outside_its_window", "svc_report", "SELECT * FROM arrests", app="pars-reports"),
)

# The PostgreSQL workload, in order. `sql` is sent byte for byte.
PG_CASES = (
    LOOKUP_WITH_CASE,
    Case("multiline_quotes_unicode", "clerk",
         "/* case=CP-51-CR-0007777-2024 purpose=C */ SELECT first_name,\r\n       last_name\n"
         "FROM persons\nWHERE last_name = 'O''Brien' AND first_name = 'José \"Pepe\", Jr.'"),
    *ICE_SWEEPS,
    Case("export_copy", "ice_user", "COPY persons TO STDOUT"),
    DENIED_AUDIT_DELETE,
    *PG_SERVICE_CASES,
    Case("audit_off", "dba", "ALTER SYSTEM SET pgaudit.log = 'none'"),
    Case("after_audit_off", "dba", "SELECT count(*) FROM persons"),
)
PASSWORDS = {"clerk": "clerk-pw", "ice_user": "ice-pw", "dba": "dba-pw", "svc_etl": "etl-pw",
             "svc_report": "report-pw"}


@dataclass
class LoggedRun:
    logs: Path
    started: dt.datetime
    ended: dt.datetime


@dataclass
class IngestedRun:
    run: LoggedRun
    home: Path
    con: object  # a read-write warehouse connection, open for the module

    def event(self, case: Case, source_action: str | None = None) -> tuple:
        """The one event whose statement is the case's SQL, byte for byte."""
        rows = self.con.execute(
            "SELECT event_id, account_id, action, outcome, objects, subject_person_id, case_number, "
            "purpose_code, source_action FROM access_events WHERE statement = ? AND account_id = ? "
            "AND (? IS NULL OR source_action = ?) ORDER BY source_line",
            [case.sql, case.user, source_action, source_action]).fetchall()
        assert len(rows) == 1, f"{case.name}: {len(rows)} events with its exact statement"
        return rows[0]

    def analysis(self, case: Case) -> dict:
        cursor = self.con.execute("SELECT * FROM statement_analysis WHERE statement_hash = statement_hash(?)",
                                  [case.sql])
        rows = cursor.fetchall()
        assert len(rows) == 1, f"{case.name}: no statement analysis"
        return dict(zip([d[0] for d in cursor.description], rows[0]))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _pg_workload(server) -> None:
    import psycopg

    with psycopg.connect(server.dsn(host=str(server.datadir)), autocommit=True) as admin:
        admin.execute("CREATE EXTENSION pgaudit")
        admin.execute("CREATE ROLE clerk LOGIN PASSWORD 'clerk-pw'")
        admin.execute("CREATE ROLE ice_user LOGIN PASSWORD 'ice-pw'")
        admin.execute("CREATE ROLE dba LOGIN SUPERUSER PASSWORD 'dba-pw'")
        admin.execute("CREATE ROLE svc_etl LOGIN PASSWORD 'etl-pw'")
        admin.execute("CREATE ROLE svc_report LOGIN PASSWORD 'report-pw'")
        admin.execute("CREATE TABLE persons (person_id text PRIMARY KEY, first_name text, last_name text, "
                      "place_of_birth text)")
        admin.execute("CREATE TABLE arrests (arrest_id text PRIMARY KEY, person_id text, arrest_ts timestamptz)")
        admin.execute("CREATE TABLE audit_log (event_ts timestamptz, note text)")
        admin.execute("INSERT INTO persons VALUES ('P100', 'Ana', 'Garcia', 'USA'), "
                      "('P101', 'José \"Pepe\", Jr.', 'O''Brien', 'Mexico')")
        admin.execute("GRANT SELECT ON persons, arrests, audit_log TO clerk, ice_user")
        admin.execute("GRANT SELECT ON persons, arrests TO svc_etl, svc_report")
    for case in PG_CASES:
        app = case.app or ("PARS Web Portal" if case.user == "clerk" else "psql")
        with psycopg.connect(server.dsn(case.user, PASSWORDS[case.user], application_name=app),
                             autocommit=True) as con:
            if case.name == "export_copy":
                with con.cursor().copy(case.sql) as copy:
                    for _ in copy:
                        pass
            elif case.name == "denied_audit_delete":
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    con.execute(case.sql)
            else:
                con.execute(case.sql)
            if case.name == "audit_off":
                con.execute("SELECT pg_reload_conf()")
                _wait_until_audit_is_off(server)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(server.dsn("ice_user", "wrong-password"))


def _wait_until_audit_is_off(server) -> None:
    """The reload is asynchronous: new sessions see pgaudit.log = 'none' a moment later."""
    import psycopg

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with psycopg.connect(server.dsn(host=str(server.datadir))) as con:
            if con.execute("SHOW pgaudit.log").fetchall() == [("none",)]:
                return
        time.sleep(0.1)
    raise AssertionError("pgaudit.log did not become 'none' after the reload")


def logged_run(base: Path, server, workload, keep_logs) -> LoggedRun:
    """Run `workload` on a private server, stop it, and keep its logs in `base/logs`."""
    try:
        started = _now()
        workload(server)
        ended = _now()
    finally:
        server.stop()
    logs = base / "logs"
    keep_logs(logs)
    server.cleanup()
    return LoggedRun(logs, started, ended)


def ingested_run(run: LoggedRun, home: Path, log_name: str, format: str, source_name: str):
    """The run's log ingested as `source_name` into `home`, with a connection open on it."""
    pipeline.ingest_files(home, [run.logs / log_name], source_tz=TZ, format=format, source_name=source_name)
    with warehouse.connect(home) as con:
        yield IngestedRun(run, home, con)


@pytest.fixture(scope="module")
def pg_run(tmp_path_factory) -> LoggedRun:
    base = tmp_path_factory.mktemp("postgres")
    server = start_postgres(base, PG_SETTINGS)
    return logged_run(base, server, _pg_workload, lambda logs: shutil.copytree(server.log_dir, logs))


@pytest.fixture(scope="module")
def pg_warehouse(pg_run, tmp_path_factory) -> IngestedRun:
    """The private server's csvlog ingested as source `pars_pg` into a warehouse home."""
    yield from ingested_run(pg_run, tmp_path_factory.mktemp("pg_home"), "postgresql.csv", "pgaudit-csvlog",
                            "pars_pg")


def case(name: str, cases=PG_CASES) -> Case:
    return next(c for c in cases if c.name == name)


def test_pg_every_record_accounted_for(pg_warehouse):
    read, loaded, quarantined, ignored, reasons = pg_warehouse.con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined, rows_ignored, ignored_reasons FROM batches").fetchall()[0]
    assert quarantined == 0
    assert read == loaded + ignored and ignored > 0
    assert "connection received" in reasons and "server process message" in reasons
    audit_lines = sum(line.count("AUDIT: ") for line in
                      (pg_warehouse.run.logs / "postgresql.csv").read_text(encoding="utf-8").splitlines())
    assert pg_warehouse.con.execute(
        "SELECT count(*) FROM access_events WHERE extra ->> 'audit_type' IS NOT NULL").fetchall() == [(audit_lines,)]


def test_pg_cases_become_the_expected_events(pg_warehouse):
    expected = {  # case -> (action, objects, subject, case number, purpose, outcome)
        "lookup_with_case": ("view", "public.persons", "P100", "CP-51-CR-0001234-2024", "C", "success"),
        "multiline_quotes_unicode": ("search", "public.persons", None, "CP-51-CR-0007777-2024", "C", "success"),
        "birthplace_sweep": ("search", "public.persons", None, None, None, "success"),
        "name_wildcard": ("search", "public.persons", None, None, None, "success"),
        "dump_without_where": ("search", "public.arrests", None, None, None, "success"),
        "export_copy": ("export", "public.persons", None, None, None, "success"),
        "denied_audit_delete": ("delete", "audit_log", None, None, None, "failure"),
        "audit_off": ("ddl", None, None, None, None, "success"),
    }
    for name, (action, objects, subject, case_number, purpose, outcome) in expected.items():
        _, account, got_action, got_outcome, got_objects, got_subject, got_case, got_purpose, _ = \
            pg_warehouse.event(case(name))
        assert (got_action, got_objects, got_subject, got_case, got_purpose, got_outcome) == (
            action, objects, subject, case_number, purpose, outcome), name


def test_pg_statement_analysis_of_the_forbidden_queries(pg_warehouse):
    assert pg_warehouse.analysis(case("birthplace_sweep"))["filters_birthplace"] is True
    assert pg_warehouse.analysis(case("lookup_with_case"))["filters_birthplace"] is False
    assert pg_warehouse.analysis(case("name_wildcard"))["name_wildcard"] is True
    assert pg_warehouse.analysis(case("dump_without_where"))["has_where"] is False
    assert pg_warehouse.analysis(case("denied_audit_delete"))["touches_audit_tables"] is True
    assert pg_warehouse.analysis(case("audit_off"))["disables_audit"] is True
    assert pg_warehouse.analysis(case("lookup_with_case"))["disables_audit"] is False


def test_pg_nothing_is_audited_after_auditing_is_switched_off(pg_warehouse):
    assert pg_warehouse.con.execute("SELECT count(*) FROM access_events WHERE statement = ?",
                                    [case("after_audit_off").sql]).fetchall() == [(0,)]


def test_pg_logins_and_the_failed_login(pg_warehouse):
    rows = dict(pg_warehouse.con.execute("""
        SELECT action, count(*) FROM access_events WHERE account_id = 'ice_user'
          AND action IN ('login', 'logout', 'login_failed') GROUP BY ALL""").fetchall())
    workload_connections = sum(c.user == "ice_user" for c in PG_CASES)
    assert rows == {"login": workload_connections, "logout": workload_connections, "login_failed": 1}
    assert pg_warehouse.con.execute(
        "SELECT outcome, client_addr FROM access_events WHERE action = 'login_failed'").fetchall() == [
        ("failure", "127.0.0.1")]


def test_pg_event_times_are_the_real_instants(pg_warehouse):
    # The log writes EST/EDT local times; --source-tz turns them back into instants.
    run = pg_warehouse.run
    low, high = pg_warehouse.con.execute(
        "SELECT min(event_ts), max(event_ts) FROM access_events WHERE account_id IN ('clerk', 'ice_user')"
    ).fetchall()[0]
    assert run.started - dt.timedelta(seconds=1) <= low <= high <= run.ended + dt.timedelta(seconds=1)


def test_pg_stderr_log_gives_the_same_events_as_the_csvlog(pg_warehouse):
    con = warehouse.memory()
    try:
        from compliance.sources.formats import ingest

        result = ingest(con, pg_warehouse.run.logs / "postgresql", "pgaudit-stderr", TZ,
                        source_name="pars_pg", log_line_prefix=LOG_LINE_PREFIX)
        assert result.rows_quarantined == 0
        query = ("SELECT event_ts, account_id, client_addr, action, outcome, statement, objects, "
                 "subject_person_id, case_number, purpose_code FROM access_events ORDER BY ALL")
        assert con.execute(query).fetchall() == pg_warehouse.con.execute(query).fetchall()
        assert con.execute("SELECT DISTINCT extra ->> 'application_name' FROM access_events "
                           "WHERE account_id = 'clerk' AND statement IS NOT NULL").fetchall() == [
            ("PARS Web Portal",)]
    finally:
        con.close()


def test_pg_reingest_changes_nothing(pg_warehouse):
    before = warehouse.table_checksums(pg_warehouse.con)
    from compliance.sources.formats import ingest

    result = ingest(pg_warehouse.con, pg_warehouse.run.logs / "postgresql.csv", "pgaudit-csvlog", TZ,
                    source_name="pars_pg")
    assert result.status == "unchanged"
    assert warehouse.table_checksums(pg_warehouse.con) == before


# --- MariaDB ------------------------------------------------------------------------------------

MARIADB_CASES = (
    LOOKUP_WITH_CASE,
    Case("escapes_and_unicode", "clerk",
         "SELECT first_name,\r\n\tlast_name FROM persons\nWHERE last_name = 'O\\'Brien' "
         "AND first_name = 'José \"Pepe\", Jr.' -- back\\\\slash"),
    *ICE_SWEEPS,
    DENIED_AUDIT_DELETE,
    Case("scheduled_etl_read", "svc_etl", "SELECT * FROM pars.persons"),
    Case("etl_account_from_another_host", "svc_etl", "SELECT person_id FROM pars.persons WHERE person_id = 'P100'",
         client="127.0.0.2"),
    Case("report_account_outside_its_window", "svc_report", "SELECT * FROM pars.arrests"),
    Case("audit_off", "root", "SET GLOBAL server_audit_logging = OFF"),
    Case("after_audit_off", "root", "SELECT count(*) FROM pars.persons"),
)
MARIADB_PASSWORDS = {"clerk": "clerk-pw", "ice_user": "ice-pw", "root": "", "svc_etl": "etl-pw",
                     "svc_report": "report-pw"}


def _mariadb_workload(server) -> None:
    import pymysql

    admin = server.connect()
    with admin.cursor() as cur:
        for statement in (
                "CREATE DATABASE pars",
                "CREATE TABLE pars.persons (person_id VARCHAR(20) PRIMARY KEY, first_name VARCHAR(50), "
                "last_name VARCHAR(50), place_of_birth VARCHAR(50))",
                "CREATE TABLE pars.arrests (arrest_id VARCHAR(20) PRIMARY KEY, person_id VARCHAR(20))",
                "CREATE TABLE pars.audit_log (event_ts DATETIME, note VARCHAR(100))",
                "INSERT INTO pars.persons VALUES ('P100', 'Ana', 'Garcia', 'USA')",
                "CREATE USER 'clerk'@'%' IDENTIFIED BY 'clerk-pw'",
                "CREATE USER 'ice_user'@'%' IDENTIFIED BY 'ice-pw'",
                "CREATE USER 'svc_etl'@'%' IDENTIFIED BY 'etl-pw'",
                "CREATE USER 'svc_report'@'%' IDENTIFIED BY 'report-pw'",
                "GRANT SELECT ON pars.* TO 'clerk'@'%', 'ice_user'@'%', 'svc_etl'@'%', 'svc_report'@'%'"):
            cur.execute(statement)
    # Before the workload: its last cases switch auditing off.
    with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
        server.connect("ice_user", "wrong-password")
    for case in MARIADB_CASES:
        con = admin if case.user == "root" else server.connect(case.user, MARIADB_PASSWORDS[case.user], "pars",
                                                               bind_address=case.client)
        with con.cursor() as cur:
            if case.name == "denied_audit_delete":
                with pytest.raises(pymysql.err.OperationalError, match="DELETE command denied"):
                    cur.execute(case.sql)
            else:
                cur.execute(case.sql)
        if con is not admin:
            con.close()
    admin.close()


@pytest.fixture(scope="module")
def mariadb_run(tmp_path_factory) -> LoggedRun:
    base = tmp_path_factory.mktemp("mariadb")
    server = start_mariadb(base, TZ)

    def keep_logs(logs: Path) -> None:
        logs.mkdir()
        shutil.copy(server.audit_log, logs / "server_audit.log")

    return logged_run(base, server, _mariadb_workload, keep_logs)


@pytest.fixture(scope="module")
def mariadb_warehouse(mariadb_run, tmp_path_factory) -> IngestedRun:
    yield from ingested_run(mariadb_run, tmp_path_factory.mktemp("mariadb_home"), "server_audit.log",
                            "mariadb-audit", "pars_mariadb")


def test_mariadb_every_record_becomes_an_event(mariadb_warehouse):
    lines = (mariadb_warehouse.run.logs / "server_audit.log").read_text(encoding="utf-8").splitlines()
    read, loaded, quarantined, ignored = mariadb_warehouse.con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined, rows_ignored FROM batches").fetchall()[0]
    assert (read, ignored) == (len(lines), 0)
    # Only records without a user are quarantined: the port probes of the test's own start-up wait.
    reasons = mariadb_warehouse.con.execute("SELECT DISTINCT field, reason FROM quarantine").fetchall()
    assert reasons in ([], [("account_id", "required value is empty")])
    assert loaded + quarantined == len(lines)


def test_mariadb_cases_become_the_expected_events(mariadb_warehouse):
    expected = {
        "lookup_with_case": ("view", "pars.persons", "P100", "CP-51-CR-0001234-2024", "C", "success"),
        "escapes_and_unicode": ("search", "pars.persons", None, None, None, "success"),
        "birthplace_sweep": ("search", "pars.persons", None, None, None, "success"),
        "name_wildcard": ("search", "pars.persons", None, None, None, "success"),
        "dump_without_where": ("search", "pars.arrests", None, None, None, "success"),
        "denied_audit_delete": ("delete", "audit_log", None, None, None, "failure"),
        "audit_off": ("other", None, None, None, None, "success"),
    }
    for name, (action, objects, subject, case_number, purpose, outcome) in expected.items():
        _, _, got_action, got_outcome, got_objects, got_subject, got_case, got_purpose, _ = \
            mariadb_warehouse.event(case(name, MARIADB_CASES), source_action="QUERY")
        assert (got_action, got_objects, got_subject, got_case, got_purpose, got_outcome) == (
            action, objects, subject, case_number, purpose, outcome), name
    # The READ record before the query carries its statement and table.
    rows = mariadb_warehouse.con.execute(
        "SELECT action, objects FROM access_events WHERE statement = ? AND source_action = 'READ'",
        [case("birthplace_sweep", MARIADB_CASES).sql]).fetchall()
    assert rows == [("search", "pars.persons")]


def test_mariadb_analysis_failed_login_and_audit_off(mariadb_warehouse):
    assert mariadb_warehouse.analysis(case("birthplace_sweep", MARIADB_CASES))["filters_birthplace"] is True
    assert mariadb_warehouse.analysis(case("name_wildcard", MARIADB_CASES))["name_wildcard"] is True
    assert mariadb_warehouse.analysis(case("audit_off", MARIADB_CASES))["disables_audit"] is True
    assert mariadb_warehouse.con.execute("SELECT count(*) FROM access_events WHERE statement = ?",
                                         [case("after_audit_off", MARIADB_CASES).sql]).fetchall() == [(0,)]
    assert mariadb_warehouse.con.execute("""
        SELECT account_id, outcome, source_action FROM access_events WHERE action = 'login_failed'""").fetchall() == [
        ("ice_user", "failure", "FAILED_CONNECT")]


def test_mariadb_event_times_are_the_real_instants(mariadb_warehouse):
    run = mariadb_warehouse.run
    low, high = mariadb_warehouse.con.execute(
        "SELECT min(event_ts), max(event_ts) FROM access_events WHERE account_id IN ('clerk', 'ice_user')"
    ).fetchall()[0]
    # server_audit writes whole seconds in the server's local time.
    assert run.started - dt.timedelta(seconds=1) <= low <= high <= run.ended + dt.timedelta(seconds=1)


# --- live pull ----------------------------------------------------------------------------------

APP_TABLE_DDL = """
CREATE TABLE app_audit (
    event_id text PRIMARY KEY, event_ts timestamptz NOT NULL, account_id text, client_addr text,
    action text, subject_person_id text, search_terms text, case_number text, purpose_code text,
    result_count bigint, outcome text, sequence_no bigint, statement text, requester text
)"""


@pytest.fixture(scope="module")
def app_database(tmp_path_factory):
    """A private PostgreSQL holding an application audit table with the canonical columns."""
    import psycopg

    base = tmp_path_factory.mktemp("app_pg")
    server = start_postgres(base, {})
    try:
        with psycopg.connect(server.dsn(host=str(server.datadir)), autocommit=True) as admin:
            admin.execute(APP_TABLE_DDL)
            admin.execute("CREATE ROLE puller LOGIN PASSWORD 'pull-pw'")
            admin.execute("GRANT SELECT ON app_audit TO puller")
        yield server
    finally:
        server.stop()
        server.cleanup()


def _insert_events(server, ids: list[str], at: dt.datetime) -> None:
    import psycopg

    with psycopg.connect(server.dsn(host=str(server.datadir)), autocommit=True) as admin:
        with admin.cursor() as cur:
            cur.executemany(
                "INSERT INTO app_audit VALUES (%s, %s, 'ice_liaison', '10.1.2.3', 'search', NULL, "
                "'place_of_birth <> ''US''', NULL, NULL, 3, 'success', %s, NULL, 'Agent Smith')",
                # Several events share one timestamp, so batch edges fall inside a tie.
                [(event_id, at + dt.timedelta(seconds=i // 3), i) for i, event_id in enumerate(ids)])


def _loaded_ids(home: Path) -> list[str]:
    with warehouse.connect(home) as con:
        return [r[0] for r in con.execute("SELECT event_id FROM access_events ORDER BY event_id").fetchall()]


def test_live_pull_loads_each_event_exactly_once_across_runs(app_database, tmp_path, monkeypatch):
    home = tmp_path / "home"
    dsn = app_database.dsn("puller", "pull-pw")
    first = [f"E{i:04d}" for i in range(10)]
    _insert_events(app_database, first, dt.datetime(2024, 3, 5, 14, 0, tzinfo=dt.timezone.utc))

    results = pipeline.pull_live(home, dsn, table="app_audit", source_name="pars_app", batch_size=4,
                                 settle_seconds=0)
    assert [r["rows_loaded"] for r in results] == [4, 4, 2]
    assert _loaded_ids(home) == first

    # A run that fails after its batch is committed but before the watermark moves...
    second = [f"E{i:04d}" for i in range(10, 17)]
    _insert_events(app_database, second, dt.datetime(2024, 3, 5, 15, 0, tzinfo=dt.timezone.utc))

    def fail(*args, **kwargs):
        raise RuntimeError("crash before the watermark moves")

    with monkeypatch.context() as patch:
        patch.setattr(live_postgres, "move_watermark", fail)
        with pytest.raises(RuntimeError, match="crash"):
            pipeline.pull_live(home, dsn, table="app_audit", source_name="pars_app", batch_size=4,
                               settle_seconds=0)
    # ...is repeated by the next: its batch file is unchanged, nothing is loaded twice.
    results = pipeline.pull_live(home, dsn, table="app_audit", source_name="pars_app", batch_size=4,
                                 settle_seconds=0)
    assert [r["status"] for r in results] == ["unchanged", "loaded"]
    assert _loaded_ids(home) == first + second
    assert pipeline.pull_live(home, dsn, table="app_audit", source_name="pars_app", batch_size=4,
                              settle_seconds=0) == []

    with warehouse.connect(home) as con:
        assert con.execute("SELECT DISTINCT source, extra ->> 'requester' FROM access_events").fetchall() == [
            ("pars_app", "Agent Smith")]
        assert con.execute("SELECT last_event_id FROM pull_watermarks WHERE source = 'pars_app'").fetchall() == [
            ("E0016",)]
        # Each batch is a file under the home: the provenance every flag can point at.
        assert con.execute("SELECT count(*) FROM batches WHERE source = 'pars_app'").fetchall() == [(5,)]


def test_live_pull_leaves_recent_events_to_settle(app_database, tmp_path):
    home = tmp_path / "home"
    dsn = app_database.dsn("puller", "pull-pw")
    _insert_events(app_database, ["NOW0001"], _now())
    results = pipeline.pull_live(home, dsn, table="app_audit", source_name="settle_check", batch_size=1000,
                                 settle_seconds=3600)
    assert results and "NOW0001" not in _loaded_ids(home)


def test_live_pull_batch_files_are_owner_only(app_database, tmp_path):
    """The batch files are the pulled events themselves: owner-only whatever the process's umask."""
    home = tmp_path / "home"
    _insert_events(app_database, ["OWN0001", "OWN0002"], dt.datetime(2024, 3, 6, 9, 0, tzinfo=dt.timezone.utc))
    old = os.umask(0o022)
    try:
        results = pipeline.pull_live(home, app_database.dsn("puller", "pull-pw"), table="app_audit",
                                     source_name="owner_check", settle_seconds=0)
    finally:
        os.umask(old)
    assert results and (home / "pulls").is_dir()
    written = [home / "pulls", *(home / "pulls").rglob("*")]
    assert [(path, oct(stat.S_IMODE(path.stat().st_mode))) for path in written
            if stat.S_IMODE(path.stat().st_mode) & 0o077] == []


def test_live_pull_names_a_missing_table(app_database, tmp_path):
    with pytest.raises(ComplianceError, match="audit table not found"):
        pipeline.pull_live(tmp_path / "home", app_database.dsn("puller", "pull-pw"), table="no_such_table",
                           settle_seconds=0)



# The register and arrest record the flags are judged against. `clerk` is a state account so that
# the off-hours rule (city accounts only) does not depend on when the tests run; the setup users
# `postgres` and `root` are service accounts that may write.
ACCOUNTS_CSV = (
    "account_id,agency,agency_kind,access_start,access_end,can_write,work_hours\n"
    "clerk,Pennsylvania State Police,state,2015-01-01,,false,\n"
    "ice_user,ICE ERO Philadelphia,federal_immigration,2010-01-01,,false,\n"
    "dba,Office of Innovation and Technology,service,2015-01-01,,true,\n"
    "postgres,Office of Innovation and Technology,service,2015-01-01,,true,\n"
    "root,Office of Innovation and Technology,service,2015-01-01,,true,\n"
    "svc_etl,Office of Innovation and Technology,service,2015-01-01,,false,\n"
    "svc_report,Office of Innovation and Technology,service,2015-01-01,,false,\n")
ARRESTS_CSV = "arrest_id,person_id,arrest_ts,booking_id\nA1,P100,2015-06-01T10:00:00-04:00,B1\n"


def service_account_pack(tmp_path: Path, run: LoggedRun) -> Path:
    """The default pack with the workload's service accounts declared: the ETL account may read
    from 127.0.0.1 through `pars-etl` around the time the workload ran, the report account only
    in an hour twelve hours away (windows are local times of day, so they follow the run)."""
    import yaml

    from compliance.config import DEFAULT_POLICY

    def window(center: dt.datetime, before: dt.timedelta, after: dt.timedelta) -> str:
        local = center.astimezone(ZoneInfo(TZ))
        return f"{local - before:%H:%M}-{local + after:%H:%M}"

    folder = tmp_path / "pack"
    shutil.copytree(DEFAULT_POLICY.parent, folder)
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    kind_entries = [entry for entry in data["service_accounts"] if "agency_kind" in entry]
    assert kind_entries and "bulk_access" in kind_entries[0]["exempt_from"]
    data["service_accounts"] = kind_entries + [
        {"account_id": "svc_etl", "hosts": ["127.0.0.1"], "applications": ["pars-etl"],
         "person_read_windows": [window(run.started, dt.timedelta(minutes=30), run.ended - run.started
                                        + dt.timedelta(minutes=30))]},
        {"account_id": "svc_report", "hosts": ["127.0.0.1"],
         "person_read_windows": [window(run.started + dt.timedelta(hours=12), dt.timedelta(0), dt.timedelta(hours=1))]},
    ]
    path = folder / DEFAULT_POLICY.name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _flags(run: IngestedRun, tmp_path: Path) -> list[tuple]:
    from compliance.policy.pack import load_pack
    from compliance.rules.engine import evaluate_month
    from compliance.sources.canonical import ingest_landing

    landing = tmp_path / "landing"
    for table, text in (("accounts", ACCOUNTS_CSV), ("arrests", ARRESTS_CSV)):
        (landing / table).mkdir(parents=True)
        (landing / table / f"{table}.csv").write_text(text)
    ingest_landing(run.con, landing)
    months = sorted({when.astimezone(ZoneInfo(TZ)).strftime("%Y-%m") for when in (run.run.started, run.run.ended)})
    for month in months:
        evaluate_month(run.con, load_pack(service_account_pack(tmp_path, run.run)), month)
    return run.con.execute("""
        SELECT f.category, f.account_id, coalesce(e.statement, e.action)
        FROM flags f JOIN access_events e ON e.event_id = f.subject_id
        ORDER BY 2, 3, 1""").fetchall()


def _expected(*rows: tuple) -> list[tuple]:
    return sorted(rows, key=lambda r: (r[1], r[2], r[0]))


ICE_FORBIDDEN = [
    ("access_outside_agreement", "ice_user", case("birthplace_sweep").sql),
    ("birthplace_search", "ice_user", case("birthplace_sweep").sql),
    ("missing_purpose", "ice_user", case("birthplace_sweep").sql),
    ("access_outside_agreement", "ice_user", case("name_wildcard").sql),
    ("missing_purpose", "ice_user", case("name_wildcard").sql),
    ("access_outside_agreement", "ice_user", case("dump_without_where").sql),
    ("bulk_access", "ice_user", case("dump_without_where").sql),
    ("missing_purpose", "ice_user", case("dump_without_where").sql),
    ("access_outside_agreement", "ice_user", case("denied_audit_delete").sql),
    ("audit_tamper", "ice_user", case("denied_audit_delete").sql),
    ("unauthorized_write", "ice_user", case("denied_audit_delete").sql),
]


def test_pg_workload_raises_exactly_the_expected_flags(pg_warehouse, tmp_path):
    logins = [("access_outside_agreement", "ice_user", "login")] * 5  # one per ICE session after 2018-08-31
    assert _flags(pg_warehouse, tmp_path) == _expected(
        *ICE_FORBIDDEN, *logins,
        ("access_outside_agreement", "ice_user", case("export_copy").sql),
        ("bulk_access", "ice_user", case("export_copy").sql),
        ("export", "ice_user", case("export_copy").sql),
        ("missing_purpose", "ice_user", case("export_copy").sql),
        ("audit_tamper", "dba", case("audit_off").sql),
        # The setup itself touched the audit trail: nobody's normal work does.
        ("audit_tamper", "postgres", "CREATE EXTENSION pgaudit"),
        ("audit_tamper", "postgres", "CREATE TABLE audit_log (event_ts timestamptz, note text)"),
        ("audit_tamper", "postgres", "GRANT SELECT ON persons, arrests, audit_log TO clerk, ice_user"),
        # The ETL account's scheduled whole-table read raises nothing (no bulk_access, no
        # missing_purpose: the pack exempts service accounts); its session from a SQL client does,
        # from its first statement (the login line precedes the application name), and so does the
        # report account's read outside its window.
        ("service_account_misuse", "svc_etl", case("etl_account_from_a_sql_client").sql),
        ("service_account_misuse", "svc_etl", "logout"),
        ("service_account_misuse", "svc_report", case("report_account_outside_its_window").sql))


def test_mariadb_workload_raises_exactly_the_expected_flags(mariadb_warehouse, tmp_path):
    ice_sessions = [("access_outside_agreement", "ice_user", "login")] * 4 + [
        ("access_outside_agreement", "ice_user", "SET NAMES utf8mb4")] * 4  # the client's first statement
    assert _flags(mariadb_warehouse, tmp_path) == _expected(
        *ICE_FORBIDDEN, *ice_sessions,
        ("missing_purpose", "clerk", case("escapes_and_unicode", MARIADB_CASES).sql),
        ("audit_tamper", "root", case("audit_off", MARIADB_CASES).sql),
        ("audit_tamper", "root", "CREATE TABLE pars.audit_log (event_ts DATETIME, note VARCHAR(100))"),
        # The ETL account's session from 127.0.0.2, from its login on; the report account's read
        # outside its window. The scheduled read from 127.0.0.1 raises nothing.
        *[("service_account_misuse", "svc_etl", what) for what in (
            case("etl_account_from_another_host", MARIADB_CASES).sql, "login", "logout", "SET NAMES utf8mb4")],
        ("service_account_misuse", "svc_report", case("report_account_outside_its_window", MARIADB_CASES).sql))

