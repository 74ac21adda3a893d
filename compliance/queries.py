"""The one way to run named SQL: `sql/<name>.sql`, one query per file.

Every stage runs its SQL through here, so a query is found by its file name and binds only the
`$parameters` it names (DuckDB refuses unused ones). `rows` gives plain JSON-ready values
(timestamps as ISO 8601 UTC strings, whole decimals as ints), the shape reports and manifests use.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache

import duckdb

from compliance.config import SQL_DIR

_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


@lru_cache(maxsize=None)
def text(name: str) -> str:
    """The text of `sql/<name>.sql` (`name` without the suffix, e.g. "reports/flag_counts")."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def bind(sql: str, params: dict | None) -> dict:
    """The subset of `params` that `sql` names."""
    named = set(_PARAMETER.findall(sql))
    return {key: value for key, value in (params or {}).items() if key in named}


def execute(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Run `sql/<name>.sql` with the parameters it names; the cursor, for statements and reads."""
    sql = text(name)
    return con.execute(sql, bind(sql, params))


def relation(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> duckdb.DuckDBPyRelation:
    """`sql/<name>.sql` as a lazy relation (to write as Parquet or CSV without fetching it)."""
    sql = text(name)
    return con.sql(sql, params=bind(sql, params))


def rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    """Rows of `sql/<name>.sql` as dicts of plain values."""
    cursor = execute(con, name, params)
    names = [d[0] for d in cursor.description]
    return [{key: plain(value) for key, value in zip(names, row)} for row in cursor.fetchall()]


def plain(value):
    """A DuckDB value as JSON-ready Python: aware timestamps in UTC ISO 8601, dates ISO, decimals
    as int when whole."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def literal(value: str) -> str:
    """A SQL string literal, for the few places DuckDB takes no parameter (SET, DDL, table functions)."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
