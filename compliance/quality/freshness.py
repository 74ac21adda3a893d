"""Freshness: a landing table that has sent no new file for longer than its window is stale.

Windows come from the policy pack's `freshness_hours` block (landing table -> hours), because
how often each feed arrives is the city's arrangement with its sources. The clock is the last
batch's `ingested_at`: a file resent unchanged is no new batch, so it does not count as news.
"""
from __future__ import annotations

import datetime as dt

import duckdb

from compliance.contract import LANDING_TABLES
from compliance.errors import ComplianceError
from compliance.policy.pack import PolicyPack


def freshness_windows(pack: PolicyPack) -> dict[str, float]:
    """The pack's windows in hours, checked: known tables, positive numbers."""
    block = pack.data.get("freshness_hours")
    if not isinstance(block, dict) or not block:
        raise ComplianceError("freshness_hours is missing: give each landing table the daily "
                              "ingest watches a window in hours", path=str(pack.path),
                              field="freshness_hours")
    windows = {}
    for table, hours in block.items():
        if table not in LANDING_TABLES:
            raise ComplianceError(f"{table!r} is not a landing table", path=str(pack.path),
                                  field=f"freshness_hours.{table}")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
            raise ComplianceError("a window is a positive number of hours", path=str(pack.path),
                                  field=f"freshness_hours.{table}")
        windows[table] = float(hours)
    return windows


def stale_tables(con: duckdb.DuckDBPyConnection, windows: dict[str, float], now: dt.datetime) -> list[str]:
    """One readable line per table whose last file is older than its window (or never came)."""
    last = dict(con.execute(
        "SELECT table_name, max(ingested_at) FROM batches GROUP BY table_name").fetchall())
    stale = []
    for table, hours in sorted(windows.items()):
        seen = last.get(table)
        window = f"{hours:g} h"
        if seen is None:
            stale.append(f"{table}: no file received yet (window {window})")
        elif now - seen > dt.timedelta(hours=hours):
            stale.append(f"{table}: last file {seen.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
                         f"over the {window} window")
    return stale
