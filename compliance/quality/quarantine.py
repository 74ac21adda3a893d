"""Reading the quarantine: every row ingest could not read or place, with file, line, field, reason."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import duckdb

from compliance import queries


def quarantined_rows(con: duckdb.DuckDBPyConnection, *, table: str | None = None,
                     path: Path | str | None = None, reason: str | None = None) -> list[dict]:
    """Rows of `quarantine` with their batch's table and file (`path` as given to ingest or resolved)."""
    cursor = queries.execute(con, "quality/quarantine_rows", {
        "table": table, "path": str(Path(path).resolve()) if path else None, "reason": reason})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def printable(text: str | None) -> str:
    """Text safe for a terminal: control characters (quarantined data often has them) as escapes."""
    if text is None:
        return ""
    return "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in text)
