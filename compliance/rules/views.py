"""The shared views rules build on (sql/views/), installed with the pack's policy tables.

On one connection only, read-only connections too: reports read the views, and the catalog's lint
reads what they name.
"""
from __future__ import annotations

import datetime as dt

import duckdb

from compliance import queries
from compliance.config import SQL_DIR
from compliance.policy.pack import PolicyPack, install
from compliance.queries import literal

VIEWS_DIR = SQL_DIR / "views"


def install_views(con: duckdb.DuckDBPyConnection, pack: PolicyPack) -> None:
    """Policy tables, then every sql/views/*.sql in order."""
    install(con, pack)
    for script in sorted(VIEWS_DIR.glob("*.sql")):
        con.execute(script.read_text(encoding="utf-8"))


def scope_local_time(con: duckdb.DuckDBPyConnection, low: dt.datetime, high: dt.datetime) -> None:
    """Redefine `local_time(ts)` (sql/views/00_macros.sql) for the instants in [low, high) as the
    UTC instant plus the zone's offset there, written out from sql/evaluation/zone_offsets.sql:
    plain arithmetic where timezone() looks the zone up for every row. Other instants, and a
    stretch whose offset does not change on a whole minute, keep timezone()."""
    stretches = queries.execute(con, "evaluation/zone_offsets",
                                {"low": low.isoformat(), "high": high.isoformat()}).fetchall()
    if not all(exact for _, _, exact in stretches):
        con.execute("CREATE OR REPLACE TEMP MACRO local_time(ts) AS timezone(pack_tz(), ts)")
        return
    offset = " ".join(f"WHEN ts < {literal(starts.isoformat())}::TIMESTAMPTZ THEN {previous}"
                      for (starts, _, _), (_, previous, _) in zip(stretches[1:], stretches))
    offset = f"CASE {offset} ELSE {stretches[-1][1]} END" if offset else str(stretches[-1][1])
    con.execute(f"""
        CREATE OR REPLACE TEMP MACRO local_time(ts) AS
        CASE WHEN ts >= {literal(low.isoformat())}::TIMESTAMPTZ AND ts < {literal(high.isoformat())}::TIMESTAMPTZ
             THEN make_timestamp(epoch_us(ts) + {offset})
             ELSE timezone(pack_tz(), ts) END""")
