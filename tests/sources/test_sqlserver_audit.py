"""SQL Server Audit exported as CSV from sys.fn_get_audit_file."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.errors import ComplianceError
from compliance.sources.formats import ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audit_logs"


@pytest.fixture
def con():
    connection = warehouse.memory()
    yield connection
    connection.close()


def test_audit_export_rows_become_events(con):
    result = ingest(con, FIXTURES / "sqlserver_audit_export.csv", "sqlserver-audit", "America/New_York",
                    source_name="pars_mssql")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 4, 1)
    assert con.execute("SELECT line_no, field, reason FROM quarantine").fetchall() == [
        (6, "event_ts", "cannot read as timestamp with time zone: not a time")]
    rows = con.execute("""
        SELECT event_ts, account_id, client_addr, action, outcome, objects, subject_person_id, case_number,
               purpose_code, source_action, session_id, extra ->> 'server_principal_name'
        FROM access_events ORDER BY source_line""").fetchall()
    utc = dt.timezone.utc
    assert rows == [
        # event_time is UTC whatever --source-tz says; seven fractional digits are read.
        (dt.datetime(2024, 3, 5, 19, 22, 31, 123456, tzinfo=utc), "CITY\\ice_liaison", "10.1.2.3", "search",
         "success", "dbo.arrest", None, None, None, "SL", "57", "CITY\\ice_liaison"),
        (dt.datetime(2024, 3, 5, 19, 25, 2, tzinfo=utc), "svc_pars_ro", "10.9.8.7", "login_failed", "failure",
         None, None, None, None, "LGIF", "0", "svc_pars_ro"),
        # The original login (before EXECUTE AS) is the account.
        (dt.datetime(2024, 3, 5, 19, 26, 0, 500000, tzinfo=utc), "CITY\\clerk7", "10.1.2.4", "view", "success",
         "dbo.persons", "P99", "CP-51-CR-0000099-2024", "C", "SL", "60", "dbo_runner"),
        (dt.datetime(2024, 3, 5, 19, 30, tzinfo=utc), "CITY\\dba", "10.1.2.5", "ddl", "success",
         "pars_audit", None, None, None, "AL", "61", "CITY\\dba"),
    ]
    assert con.execute("SELECT filters_birthplace FROM statement_analysis WHERE tables = 'dbo.arrest'"
                       ).fetchall() == [(False,)]
    assert con.execute("SELECT disables_audit FROM statement_analysis WHERE statement_hash = statement_hash(?)",
                       ["ALTER SERVER AUDIT pars_audit WITH (STATE = OFF)"]).fetchall() == [(True,)]
    ids = [r[0] for r in con.execute("SELECT event_id FROM access_events").fetchall()]
    assert len(set(ids)) == 4 and all(i.startswith("pars_mssql:") for i in ids)


def test_an_export_without_the_required_columns_is_refused(con, tmp_path):
    path = tmp_path / "audit.csv"
    path.write_text("event_time,action_id,succeeded\n2024-03-05 19:22:31,SL,1\n", encoding="utf-8")
    with pytest.raises(ComplianceError, match="line 1, field server_principal_name: required column missing"):
        ingest(con, path, "sqlserver-audit", "UTC")


def test_creating_a_login_or_user_is_a_permission_change(con, tmp_path):
    """SQL Server audits CREATE LOGIN / CREATE USER under the generic CR (create) action; like
    PostgreSQL's CREATE ROLE they change who may do what."""
    header = "event_time,action_id,succeeded,session_id,server_principal_name,statement,client_ip,object_name\n"
    rows = ["2024-03-05 19:30:00,CR  ,1,61,CITY\\dba,CREATE LOGIN ice_liaison WITH PASSWORD = 'x',10.1.2.5,ice_liaison",
            "2024-03-05 19:31:00,CR  ,1,61,CITY\\dba,CREATE USER ice_liaison FOR LOGIN ice_liaison,10.1.2.5,ice_liaison",
            "2024-03-05 19:32:00,CR  ,1,61,CITY\\dba,CREATE TABLE dbo.notes (id int),10.1.2.5,notes"]
    path = tmp_path / "audit.csv"
    path.write_text(header + "\n".join(rows) + "\n")
    ingest(con, path, "sqlserver-audit", "America/New_York", source_name="pars_mssql")
    assert [r[0] for r in con.execute("SELECT action FROM access_events ORDER BY source_line").fetchall()] == [
        "permission", "permission", "ddl"]


def test_failed_logins_keep_an_empty_user_and_take_the_address_from_the_event_text(con, tmp_path):
    """A password-spraying attempt with no user name is still a failed login (account `(empty)`);
    without a client_ip column the address comes from the `[CLIENT: ...]` the server wrote, and
    `<local machine>` is no address: it is kept in the statement, never as client_addr."""
    header = "event_time,action_id,succeeded,session_id,server_principal_name,statement,host_name\n"
    rows = ["2024-03-05 19:25:02,LGIF,0,0,,\"Login failed for user ''. Reason: An attempt to login using SQL "
            "authentication failed. [CLIENT: 203.0.113.9]\",",
            "2024-03-05 19:25:03,LGIF,0,0,sa,\"Login failed for user 'sa'. Reason: Password did not match that "
            "for the login provided. [CLIENT: <local machine>]\",local machine",
            "2024-03-05 19:25:04,LGIF,0,0,sa,\"Login failed for user 'sa'. [CLIENT: 2001:db8::7]\",WS-ICE-01"]
    path = tmp_path / "audit.csv"
    path.write_text(header + "\n".join(rows) + "\n")
    result = ingest(con, path, "sqlserver-audit", "America/New_York", source_name="pars_mssql")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 3, 0)
    assert con.execute("""SELECT account_id, action, outcome, client_addr, extra ->> 'host_name'
                          FROM access_events ORDER BY source_line""").fetchall() == [
        ("(empty)", "login_failed", "failure", "203.0.113.9", None),
        ("sa", "login_failed", "failure", None, "local machine"),
        ("sa", "login_failed", "failure", "2001:db8::7", "WS-ICE-01"),
    ]
