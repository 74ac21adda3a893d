"""The canonical format: landing files as docs/data-contract.md defines them.

A landing folder holds `<table>/*.csv` and `<table>/*.jsonl` (optionally gzip-compressed); each
file is named by its folder's table and loaded by compliance/sources/load.py.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from compliance.contract import LANDING_TABLES
from compliance.errors import ComplianceError
from compliance.sources.adapter import SourceFormat, StageOptions
from compliance.sources.load import BatchResult, load_each
from compliance.sources.staging import stage_delimited, stage_jsonl
from compliance.sources.text import logical_name

SUFFIXES = (".csv", ".jsonl")


def landing_files(landing: Path) -> list[tuple[str, Path]]:
    """(table, file) pairs of a canonical landing folder, in a stable order."""
    if not landing.is_dir():
        raise ComplianceError("landing folder not found", path=str(landing))
    found = []
    for table in LANDING_TABLES:
        folder = landing / table
        if folder.is_dir():
            found += [(table, p) for p in sorted(folder.iterdir())
                      if p.is_file() and Path(logical_name(p)).suffix in SUFFIXES]
    if not any((landing / table).is_dir() for table in LANDING_TABLES):
        # Files directly in a landing folder are never read: a table's own folder, or files meant
        # for one, would load nothing and look like a quiet day.
        name = landing.resolve().name
        if name in LANDING_TABLES or any(p.is_file() and Path(logical_name(p)).suffix in SUFFIXES
                                         for p in landing.iterdir()):
            what = (f"is the {name} table's folder" if name in LANDING_TABLES
                    else "holds landing files but no table folder")
            raise ComplianceError(f"{what}, not a landing folder (PATH/<table>/*.csv|*.jsonl): give the "
                                  "folder above it, or the files themselves", path=str(landing))
    unknown = sorted(p.name for p in landing.iterdir() if p.is_dir() and p.name not in LANDING_TABLES)
    if unknown:
        raise ComplianceError(
            f"folder {unknown[0]!r} is not a landing table (expected one of: {', '.join(LANDING_TABLES)})",
            path=str(landing))
    return found


def stage_canonical(con: duckdb.DuckDBPyConnection, path: Path, options: StageOptions) -> list[str]:
    # The loader numbers a canonical file's records as it stores them (compliance/sources/load.py).
    return stage_delimited(con, path, numbered=False) if Path(logical_name(path)).suffix == ".csv" \
        else stage_jsonl(con, path)


CANONICAL = SourceFormat(
    name="canonical",
    description="canonical CSV/JSONL landing files (docs/data-contract.md)",
    table=None,
    stage=stage_canonical,
    dialect="postgres",
    suffixes=SUFFIXES,
    source_name_refusal="--source-name does not apply to canonical files: their rows name their source",
)


def ingest_landing(con: duckdb.DuckDBPyConnection, landing: Path, source_tz: str = "America/New_York",
                   progress=None) -> list[BatchResult]:
    """Load every file of a canonical landing folder (accounts first, so later checks can use them);
    a file that cannot be loaded is refused and the others go on (`load_each`)."""
    files = [path for _, path in landing_files(Path(landing))]
    return load_each(con, files, CANONICAL, StageOptions(CANONICAL.name), source_tz, progress)
