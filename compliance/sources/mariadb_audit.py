"""MariaDB `server_audit` file logs into `access_events` (sql/sources/mariadb_audit_*.sql).

Every QUERY, TABLE (READ, WRITE, CREATE, ALTER, RENAME, DROP) and connection record (CONNECT,
FAILED_CONNECT, DISCONNECT) becomes one event; a TABLE record carries the statement of the QUERY it
belongs to, and a QUERY the tables its TABLE records name. Timestamps carry no zone: they are read
in --source-tz. Format: docs/log-formats.md.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from compliance import queries
from compliance.contract import ACCESS_EVENT_COLUMNS
from compliance.sources.adapter import SourceFormat, StageOptions

# Staged beside the access-event columns: kept per event in access_events.extra.
EXTRA_COLUMNS = ("database_name", "server_host", "query_id", "retcode", "connection_type", "record_kind",
                 "statement_ref")


def stage(con: duckdb.DuckDBPyConnection, path: Path, options: StageOptions) -> list[str]:
    """One row per line in mariadb_records, whose statements are analysed before they become raw_records."""
    queries.execute(con, "sources/mariadb_audit_records", {"path": str(path), "source": options.source})
    return [*ACCESS_EVENT_COLUMNS, *EXTRA_COLUMNS]


FORMAT = SourceFormat(
    name="mariadb-audit",
    description="MariaDB server_audit file log",
    table="access_events",
    stage=stage,
    dialect="mysql",
    extra_columns=EXTRA_COLUMNS,
    statements_from="mariadb_records",
    records_query="sources/mariadb_audit_raw_records",
)
