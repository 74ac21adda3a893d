"""What an input format declares, so that one loader (compliance/sources/load.py) reads them all.

A format stages a file as `raw_records`, a temp table or view (compliance/sources/staging.py describes
its columns); the loader then analyses the staged statements in the format's dialect, types and
checks every record, quarantines what it cannot load and records the batch, the same way for every
format. Adding a format is one `SourceFormat` in compliance/sources/formats.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb

from compliance.contract import LANDING_TABLES
from compliance.errors import ComplianceError


@dataclass(frozen=True)
class StageOptions:
    """What a stager is told beyond the file: chosen per ingest, not per format."""
    source: str  # the source of the batch and of the events it stages
    log_line_prefix: str | None = None  # the server's log_line_prefix (formats that take one)


# stage(con, path, options) reads a plain UTF-8 file and returns the columns of the records it
# stages (in `raw_records` once `records_query` ran, when the format has one).
Stager = Callable[[duckdb.DuckDBPyConnection, Path, StageOptions], list[str]]


@dataclass(frozen=True)
class SourceFormat:
    name: str
    description: str
    table: str | None  # None: the file's folder names its table
    stage: Stager
    dialect: str  # sqlglot dialect its statements are analysed in
    # Columns it stages beside compliance.contract.ACCESS_EVENT_COLUMNS (kept in `extra`).
    extra_columns: tuple[str, ...] = ()
    takes_log_line_prefix: bool = False
    # The staged relation whose `statement` column holds the statements to analyse.
    statements_from: str = "raw_records"
    # A query of sql/sources that builds `raw_records` once the statements are analysed, for a
    # format whose records take their action and subject from what their statement does.
    records_query: str | None = None
    suffixes: tuple[str, ...] = ()  # the file names it reads (after a .gz); empty: any
    encoding: str = "utf-8"
    timezone: str | None = None  # the zone of its timestamps without offset, when it fixes one
    # The error for --source-name, when the format's name is always its source.
    source_name_refusal: str | None = None

    def table_for(self, path: Path) -> str:
        """The table a file of this format loads into."""
        if self.table is not None:
            return self.table
        table = path.parent.name
        if table not in LANDING_TABLES:
            raise ComplianceError(
                f"cannot tell the table: put the file in a folder named after its table "
                f"({', '.join(LANDING_TABLES)})", path=str(path))
        return table
