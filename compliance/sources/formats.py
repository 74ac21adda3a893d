"""The input formats `compliance ingest --format` accepts: one table, and the one way in.

A format is a `SourceFormat` (compliance/sources/adapter.py); `mapping:NAME` is the format built
from mappings/NAME.yaml. Every format is loaded by compliance/sources/load.py, which types, checks,
quarantines and records the batch the same way for all of them.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from compliance.errors import ComplianceError
from compliance.sources import mariadb_audit, pgaudit, sqlserver_audit
from compliance.sources.adapter import SourceFormat, StageOptions
from compliance.sources.canonical import CANONICAL
from compliance.sources.load import BatchResult, load_each, load_file
from compliance.sources.mapping import load_mapping, mapping_format

FORMATS = {f.name: f for f in (
    CANONICAL, pgaudit.CSVLOG, pgaudit.STDERR, mariadb_audit.FORMAT, sqlserver_audit.FORMAT)}
MAPPING_PREFIX = "mapping:"
# How --format names a mapping, and what it reads; the mapping itself is read when it is used.
MAPPING_USAGE = (MAPPING_PREFIX + "NAME", "a real export read with mappings/NAME.yaml (docs/data-contract.md)")


def format_named(name: str) -> SourceFormat:
    """The format `name`: an entry of FORMATS, or mapping:NAME."""
    if name.startswith(MAPPING_PREFIX):
        return mapping_format(load_mapping(name.removeprefix(MAPPING_PREFIX)))
    if name not in FORMATS:
        raise ComplianceError(f"unknown format {name!r} (expected one of: {', '.join(FORMATS)})",
                              field="format")
    return FORMATS[name]


def is_format_name(name: str) -> bool:
    """Whether `name` can name a format, without reading a mapping."""
    return name in FORMATS or (name.startswith(MAPPING_PREFIX) and len(name) > len(MAPPING_PREFIX))


def format_usages() -> list[tuple[str, str]]:
    """(how --format names it, what it reads) for every format."""
    return [(f.name, f.description) for f in FORMATS.values()] + [MAPPING_USAGE]


def _chosen(fmt_or_name: SourceFormat | str, source_name: str | None,
            log_line_prefix: str | None) -> tuple[SourceFormat, StageOptions]:
    """The format and the options it stages with, once the options are known to apply to it."""
    fmt = format_named(fmt_or_name) if isinstance(fmt_or_name, str) else fmt_or_name
    if source_name and fmt.source_name_refusal:
        raise ComplianceError(fmt.source_name_refusal, field="source_name")
    if log_line_prefix is not None and not fmt.takes_log_line_prefix:
        prefixed = " and ".join(f.name for f in FORMATS.values() if f.takes_log_line_prefix)
        raise ComplianceError(f"--log-line-prefix applies to {prefixed} only, not {fmt.name}",
                              field="log_line_prefix")
    return fmt, StageOptions(source_name or fmt.name, log_line_prefix)


def ingest(con: duckdb.DuckDBPyConnection, path: Path, fmt_or_name: SourceFormat | str, source_tz: str,
           source_name: str | None = None, log_line_prefix: str | None = None) -> BatchResult:
    """Load one file as one batch (a file that cannot be loaded is an error). `source_name`
    (default: the format's name) is the source of its events and batch, and the `source` that
    account_map matches."""
    fmt, options = _chosen(fmt_or_name, source_name, log_line_prefix)
    return load_file(con, Path(path), fmt, options, source_tz)


def ingest_each(con: duckdb.DuckDBPyConnection, paths: list[Path], fmt_or_name: SourceFormat | str,
                source_tz: str, source_name: str | None = None, log_line_prefix: str | None = None,
                progress=None) -> list[BatchResult]:
    """Load files of one format, each as its own batch; a file that cannot be loaded is refused
    (status `refused`, with its reason) and the others go on. Options that do not apply to the
    format are an error before any file is read."""
    fmt, options = _chosen(fmt_or_name, source_name, log_line_prefix)
    return load_each(con, [Path(p) for p in paths], fmt, options, source_tz, progress)
