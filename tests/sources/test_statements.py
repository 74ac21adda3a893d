"""Statement analysis: what the access rules need from a SQL statement, parsed once per distinct text."""
from __future__ import annotations

import pytest

from compliance import warehouse
from compliance.sources.statements import analyse, analyse_new


@pytest.mark.parametrize("dialect, sql, facts", [
    ("postgres", "/* case=18-24-031877 purpose=C */ SELECT name FROM public.arrest a "
                 "JOIN persons p ON p.person_id = a.person_id WHERE p.person_id = 'P123'",
     {"action": "view", "tables": "persons;public.arrest", "has_where": True, "subject_person_id": "P123",
      "case_number": "18-24-031877", "purpose_code": "C", "filters_birthplace": False}),
    ("postgres", "SELECT name, dob FROM arrest WHERE place_of_birth <> 'USA'",
     {"action": "search", "filters_birthplace": True, "case_number": None, "purpose_code": None}),
    ("postgres", "SELECT * FROM persons ORDER BY country_of_birth", {"filters_birthplace": True, "has_where": False}),
    ("postgres", "SELECT place_of_birth FROM persons WHERE person_id = 'P1'", {"filters_birthplace": False}),
    ("postgres", "SELECT * FROM persons WHERE last_name LIKE 'GAR%'", {"name_wildcard": True}),
    ("postgres", "SELECT * FROM persons WHERE last_name = 'GARCIA'", {"name_wildcard": False}),
    ("postgres", "SELECT * FROM arrests", {"has_where": False, "action": "search", "where_clause": None}),
    ("postgres", "WITH recent AS (SELECT * FROM arrests) SELECT * FROM recent WHERE true",
     {"tables": "arrests", "has_where": True}),
    ("postgres", "SELECT * FROM persons WHERE person_id IN ('P1', 'P2')", {"subject_person_id": None}),
    ("postgres", "SELECT * FROM persons WHERE id = 42", {"subject_person_id": "42", "action": "view"}),
    ("postgres", "SELECT 'case=1 purpose=X' FROM persons", {"case_number": None}),
    ("postgres", "COPY (SELECT * FROM persons) TO '/tmp/x.csv'", {"action": "export", "tables": "persons"}),
    ("postgres", "COPY persons FROM STDIN", {"action": "insert"}),
    ("postgres", "DELETE FROM public.audit_log WHERE event_ts < now()",
     {"action": "delete", "touches_audit_tables": True}),
    ("postgres", "TRUNCATE pgaudit.logon", {"action": "delete", "touches_audit_tables": True}),
    ("postgres", "SET pgaudit.log = 'none'", {"disables_audit": True, "action": "other", "tables": None}),
    ("postgres", "SET pgaudit.log = 'read, write'", {"disables_audit": False}),
    ("postgres", "SET pgaudit.log TO '-read'", {"disables_audit": True}),
    ("postgres", "ALTER SYSTEM SET pgaudit.log = 'none'", {"disables_audit": True}),
    ("postgres", "ALTER ROLE ice IN DATABASE pars SET pgaudit.log TO 'none'", {"disables_audit": True}),
    ("postgres", "ALTER SYSTEM RESET pgaudit.log", {"disables_audit": True}),
    ("postgres", "SELECT set_config('pgaudit.log', 'none', false)", {"disables_audit": True}),
    ("postgres", "DROP EXTENSION IF EXISTS pgaudit", {"disables_audit": True, "action": "ddl"}),
    ("postgres", "SELECT 'SET pgaudit.log = none' FROM persons", {"disables_audit": False}),
    ("postgres", "CREATE ROLE ice_user LOGIN", {"action": "permission"}),
    ("postgres", "GRANT SELECT ON persons TO ice_user", {"action": "permission"}),
    ("postgres", "VACUUM (ANALYZE) public.arrests", {"action": "other", "parsed": True}),
    ("mysql", "SELECT * FROM `pars`.`persons` WHERE `nationality` = 'MX'",
     {"tables": "pars.persons", "filters_birthplace": True}),
    ("mysql", "SET GLOBAL server_audit_logging = OFF", {"disables_audit": True}),
    ("mysql", "SET GLOBAL server_audit_events = 'CONNECT'", {"disables_audit": True}),
    ("mysql", "SET GLOBAL server_audit_events = 'CONNECT,QUERY'", {"disables_audit": False}),
    ("mysql", "SET GLOBAL server_audit_excl_users = 'ice_user'", {"disables_audit": True}),
    ("mysql", "UNINSTALL SONAME 'server_audit'", {"disables_audit": True, "parsed": False}),
    ("mysql", "SELECT * FROM persons INTO OUTFILE '/tmp/p.csv'", {"action": "export"}),
    ("tsql", "ALTER SERVER AUDIT pars_audit WITH (STATE = OFF)", {"disables_audit": True}),
    ("tsql", "ALTER SERVER AUDIT pars_audit WITH (STATE = ON)", {"disables_audit": False}),
    ("tsql", "DROP DATABASE AUDIT SPECIFICATION pars_reads", {"disables_audit": True}),
    ("postgres", "this is not SQL (((", {"parsed": False, "action": "other", "tables": None}),
    # Switching databases reads nothing: the database is not a table the statement touched.
    ("mysql", "USE `pars`", {"action": "other", "tables": None, "has_where": None}),
    ("mysql", "use pars", {"action": "other", "tables": None}),
    # A prepared statement does what the statement it prepares does, whatever the audit class says.
    ("postgres", "PREPARE find (text) AS SELECT * FROM persons WHERE person_id = $1",
     {"action": "search", "tables": "persons", "has_where": True}),
    ("postgres", "PREPARE put AS INSERT INTO persons (person_id) VALUES ('P1')",
     {"action": "insert", "tables": "persons"}),
    # Principals are permissions on every server, as PostgreSQL's CREATE ROLE is.
    ("tsql", "CREATE LOGIN ice_liaison WITH PASSWORD = 'x'", {"action": "permission"}),
    ("tsql", "CREATE USER ice_liaison FOR LOGIN ice_liaison", {"action": "permission"}),
    ("tsql", "ALTER LOGIN ice_liaison ENABLE", {"action": "permission"}),
])
def test_analysis(dialect, sql, facts):
    result = analyse(sql, dialect)
    assert {k: getattr(result, k) for k in facts} == facts


def test_each_distinct_statement_is_parsed_once(monkeypatch):
    con = warehouse.memory()
    try:
        calls = []
        import compliance.sources.statements as statements

        real = statements.analyse
        monkeypatch.setattr(statements, "analyse", lambda text, dialect: calls.append(text) or real(text, dialect))
        con.execute("""CREATE TEMP TABLE logged AS
            SELECT statement_hash(s) AS statement_hash, s AS statement FROM (VALUES
                ('SELECT * FROM persons'), ('SELECT  *\n FROM persons '), ('SELECT * FROM arrests'),
                (NULL)) t(s), range(1000)""")
        assert analyse_new(con, "logged", "postgres") == 2
        assert len(calls) == 2
        # Whitespace is all normalising removes: the two spellings share one analysis.
        assert analyse_new(con, "logged", "postgres") == 0 and len(calls) == 2
        assert con.execute("SELECT count(*) FROM statement_analysis").fetchall() == [(2,)]
    finally:
        con.close()
