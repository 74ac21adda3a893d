"""The shared views rules build on (sql/views/), installed with the pack's policy tables.

On one connection only, read-only connections too: reports read the views, and the catalog's lint
reads what they name.
"""
from __future__ import annotations

import duckdb

from compliance.config import SQL_DIR
from compliance.policy.pack import PolicyPack, install

VIEWS_DIR = SQL_DIR / "views"


def install_views(con: duckdb.DuckDBPyConnection, pack: PolicyPack) -> None:
    """Policy tables, then every sql/views/*.sql in order."""
    install(con, pack)
    for script in sorted(VIEWS_DIR.glob("*.sql")):
        con.execute(script.read_text(encoding="utf-8"))
