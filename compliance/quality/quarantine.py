"""Reading the quarantine: every row ingest could not read or place, with file, line, field, reason."""
from __future__ import annotations

from pathlib import Path

import duckdb

from compliance import queries


def quarantined_rows(con: duckdb.DuckDBPyConnection, *, table: str | None = None,
                     path: Path | str | None = None, reason: str | None = None,
                     limit: int | None = None) -> tuple[list[dict], int]:
    """The first `limit` rows of `quarantine` (all if None) with their batch's table and file
    (`path` as given to ingest or resolved), and how many rows match in all."""
    cursor = queries.execute(con, "quality/quarantine_rows", {
        "table": table, "path": str(Path(path).resolve()) if path else None, "reason": reason,
        "limit": limit})
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    return rows, rows[0]["matching"] if rows else 0
