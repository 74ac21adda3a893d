"""Files that arrive after their month was reported: accepted, listed as late, month marked for re-run.

A month counts as reported from its first report on (`month_reports`). After every ingest the
pipeline asks, for each new batch, which reported months its rows bear on
(sql/quality/late_batch_months.sql); each such (batch, month) goes into `late_batches`, and the
month into `rerun_needed` until it is reported again. Only first report times are kept, so
re-running an unchanged month leaves these tables as they were.
"""
from __future__ import annotations

import duckdb

from compliance import queries


def record_report(con: duckdb.DuckDBPyConnection, month: str) -> None:
    """Note that `month` has been reported (the first time counts); it no longer needs a re-run."""
    con.execute("INSERT INTO month_reports VALUES (?, current_timestamp) ON CONFLICT DO NOTHING", [month])
    con.execute("DELETE FROM rerun_needed WHERE month = ?", [month])


def mark_late(con: duckdb.DuckDBPyConnection, batch_ids: list[str], tz: str) -> list[dict]:
    """Record the batches among `batch_ids` that bear on reported months; one dict per (batch, month)."""
    if not con.execute("SELECT 1 FROM month_reports LIMIT 1").fetchall():
        return []  # nothing reported yet: nothing can be late (and no table needs scanning)
    late = []
    for batch_id in batch_ids:
        for month, rows, reported_at in queries.execute(con, "quality/late_batch_months", {"batch_id": batch_id, "tz": tz}).fetchall():
            con.execute("""
                INSERT INTO late_batches
                SELECT batch_id, ?, table_name, path, ?, ingested_at, ? FROM batches WHERE batch_id = ?
                ON CONFLICT DO NOTHING""", [month, rows, reported_at, batch_id])
            con.execute("INSERT INTO rerun_needed VALUES (?, current_timestamp) ON CONFLICT DO NOTHING",
                        [month])
            late.append({"batch_id": batch_id, "month": month, "rows_bearing": rows})
    return late


def months_to_rerun(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT month FROM rerun_needed ORDER BY month").fetchall()]
