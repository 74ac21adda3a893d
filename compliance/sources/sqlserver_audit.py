"""SQL Server Audit records exported as CSV (the columns of `sys.fn_get_audit_file`, with a header
row, any subset that includes the required ones) into `access_events`.

The CSV is read like a canonical file (exact line numbers, rejects quarantined); once the loader has
analysed its statements, sql/sources/sqlserver_audit_raw_records.sql maps it to records.
Format: docs/log-formats.md.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from compliance.contract import ACCESS_EVENT_COLUMNS
from compliance.errors import ComplianceError
from compliance.sources.adapter import SourceFormat, StageOptions
from compliance.sources.staging import materialise_staged, stage_delimited

REQUIRED_COLUMNS = ("event_time", "action_id", "succeeded", "server_principal_name")
OPTIONAL_COLUMNS = ("session_server_principal_name", "database_principal_name", "session_id",
                    "client_ip", "host_name", "database_name", "schema_name", "object_name", "class_type",
                    "statement", "application_name", "sequence_number", "transaction_id", "file_name",
                    "audit_file_offset", "affected_rows", "response_rows")
# Staged beside the access-event columns: kept per event in access_events.extra.
EXTRA_COLUMNS = ("database_name", "class_type", "host_name", "server_principal_name", "database_principal_name",
                 "application_name", "sequence_number", "transaction_id")


def stage(con: duckdb.DuckDBPyConnection, path: Path, options: StageOptions) -> list[str]:
    """The export's columns in raw_records, every optional one present (empty when the export lacks it)."""
    header = [name.lower() for name in stage_delimited(con, Path(path))]
    materialise_staged(con)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ComplianceError("required column missing (a sys.fn_get_audit_file export)",
                              path=str(path), line=1, field=missing[0])
    for column in OPTIONAL_COLUMNS:
        if column not in header:
            con.execute(f"ALTER TABLE raw_records ADD COLUMN {column} VARCHAR")
    return [*ACCESS_EVENT_COLUMNS, *EXTRA_COLUMNS]


FORMAT = SourceFormat(
    name="sqlserver-audit",
    description="SQL Server Audit exported as CSV from sys.fn_get_audit_file",
    table="access_events",
    stage=stage,
    dialect="tsql",
    extra_columns=EXTRA_COLUMNS,
    records_query="sources/sqlserver_audit_raw_records",
)
