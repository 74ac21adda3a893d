"""The input formats `compliance ingest --format` accepts, and how each is staged.

Every format ends in ingest_file (compliance/sources/canonical.py), which types, checks,
quarantines and records the batch the same way for all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb

from compliance.errors import ComplianceError
from compliance.sources import mariadb_audit, pgaudit, sqlserver_audit
from compliance.sources.canonical import BatchResult, Stager, ingest_file, stage_canonical


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    table: str | None  # None: the file's folder names its table (canonical)
    uses_prefix: bool = False


FORMATS = {f.name: f for f in (
    Format("canonical", "canonical CSV/JSONL landing files (docs/data-contract.md)", None),
    Format("pgaudit-csvlog", "PostgreSQL csvlog with pgaudit records", "access_events"),
    Format("pgaudit-stderr", "PostgreSQL stderr log with pgaudit records (see --log-line-prefix)",
           "access_events", uses_prefix=True),
    Format("mariadb-audit", "MariaDB server_audit file log", "access_events"),
    Format("sqlserver-audit", "SQL Server Audit exported as CSV from sys.fn_get_audit_file", "access_events"),
)}


def stager(name: str, source: str, log_line_prefix: str | None = None) -> Stager:
    """The stage(con, path) function of a format, bound to its source name and options."""
    if name not in FORMATS:
        raise ComplianceError(f"unknown format {name!r} (expected one of: {', '.join(FORMATS)})",
                              field="format")
    if log_line_prefix is not None and not FORMATS[name].uses_prefix:
        raise ComplianceError(f"--log-line-prefix applies to pgaudit-stderr only, not {name}",
                              field="log_line_prefix")
    if name == "canonical":
        return stage_canonical
    if name == "pgaudit-csvlog":
        return partial(pgaudit.stage_csvlog, source=source)
    if name == "pgaudit-stderr":
        return partial(pgaudit.stage_stderr, source=source,
                       log_line_prefix=pgaudit.DEFAULT_LOG_LINE_PREFIX if log_line_prefix is None
                       else log_line_prefix)
    if name == "mariadb-audit":
        return partial(mariadb_audit.stage, source=source)
    return partial(sqlserver_audit.stage, source=source)


def ingest_log(con: duckdb.DuckDBPyConnection, path: Path, name: str, source_tz: str,
               source_name: str | None = None, log_line_prefix: str | None = None) -> BatchResult:
    """Load one file of format `name` as one batch. `source_name` (default: the format's name)
    is the source of its events and batch, and the `source` that account_map matches."""
    if name == "canonical" and source_name:
        raise ComplianceError("--source-name does not apply to canonical files: their rows name their source",
                              field="source_name")
    source = source_name or name
    stage = stager(name, source, log_line_prefix)
    return ingest_file(con, Path(path), table=FORMATS[name].table, source=source, source_tz=source_tz,
                       stage=stage)
