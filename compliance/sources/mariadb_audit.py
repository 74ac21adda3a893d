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
from compliance.sources.statements import stage_statements

DIALECT = "mysql"
RECORD_COLUMNS = ("event_id", "event_ts", "account_id", "client_addr", "action", "subject_person_id",
                  "search_terms", "case_number", "purpose_code", "result_count", "outcome", "sequence_no",
                  "source", "source_action", "statement", "objects", "session_id",
                  # kept per event in access_events.extra
                  "database_name", "server_host", "query_id", "retcode", "connection_type", "record_kind",
                  "statement_ref")


def stage(con: duckdb.DuckDBPyConnection, path: Path, source: str) -> list[str]:
    queries.execute(con, "sources/mariadb_audit_records", {"path": str(path), "source": source})
    stage_statements(con, "mariadb_records", DIALECT)
    queries.execute(con, "sources/mariadb_audit_raw_records", {"source": source})
    return list(RECORD_COLUMNS)
