"""SQL Server Audit records exported as CSV (the columns of `sys.fn_get_audit_file`, with a header
row, any subset that includes the required ones) into `access_events`.

The CSV is read like a canonical file (exact line numbers, rejects quarantined), then mapped by
sql/sources/sqlserver_audit_raw_records.sql. Format: docs/log-formats.md.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from compliance import queries
from compliance.errors import ComplianceError
from compliance.sources.canonical import stage_delimited
from compliance.sources.statements import stage_statements

DIALECT = "tsql"
REQUIRED_COLUMNS = ("event_time", "action_id", "succeeded", "server_principal_name")
OPTIONAL_COLUMNS = ("session_server_principal_name", "database_principal_name", "session_id",
                    "client_ip", "host_name", "database_name", "schema_name", "object_name", "class_type",
                    "statement", "application_name", "sequence_number", "transaction_id", "file_name",
                    "audit_file_offset", "affected_rows", "response_rows")
RECORD_COLUMNS = ("event_id", "event_ts", "account_id", "client_addr", "action", "subject_person_id",
                  "search_terms", "case_number", "purpose_code", "result_count", "outcome", "sequence_no",
                  "source", "source_action", "statement", "objects", "session_id",
                  # kept per event in access_events.extra
                  "database_name", "class_type", "server_principal_name", "database_principal_name",
                  "application_name", "sequence_number", "transaction_id")


def stage(con: duckdb.DuckDBPyConnection, path: Path, source: str) -> list[str]:
    header = [name.lower() for name in stage_delimited(con, Path(path))]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ComplianceError("required column missing (a sys.fn_get_audit_file export)",
                              path=str(path), line=1, field=missing[0])
    con.execute("DROP TABLE IF EXISTS mssql_read; ALTER TABLE raw_records RENAME TO mssql_read")
    for column in OPTIONAL_COLUMNS:
        if column not in header:
            con.execute(f"ALTER TABLE mssql_read ADD COLUMN {column} VARCHAR")
    stage_statements(con, "(SELECT nullif(statement, '') AS statement FROM mssql_read)", DIALECT)
    queries.execute(con, "sources/sqlserver_audit_raw_records", {"source": source})
    con.execute("DROP TABLE mssql_read")
    return list(RECORD_COLUMNS)
