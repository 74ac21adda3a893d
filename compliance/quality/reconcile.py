"""Reconciliation: every batch's counts agree with each other and with what the warehouse holds."""
from __future__ import annotations

import duckdb

from compliance.contract import LANDING_TABLES


def batch_discrepancies(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per batch whose books do not balance: rows_read = loaded + quarantined + ignored,
    rows_loaded = its rows in its table, rows_quarantined = its rows in `quarantine`."""
    loaded = " UNION ALL ".join(
        f"SELECT batch_id, count(*) AS n FROM \"{table}\" GROUP BY batch_id" for table in LANDING_TABLES)
    rows = con.execute(f"""
        WITH held AS ({loaded}),
        quarantined AS (SELECT batch_id, count(*) AS n FROM quarantine GROUP BY batch_id)
        SELECT b.path, b.table_name, b.rows_read, b.rows_loaded, b.rows_quarantined, b.rows_ignored,
               coalesce(h.n, 0), coalesce(q.n, 0)
        FROM batches b
        LEFT JOIN held h USING (batch_id) LEFT JOIN quarantined q USING (batch_id)
        WHERE b.rows_read <> b.rows_loaded + b.rows_quarantined + b.rows_ignored
           OR b.rows_loaded <> coalesce(h.n, 0) OR b.rows_quarantined <> coalesce(q.n, 0)
        ORDER BY b.path""").fetchall()
    return [f"{path} ({table}): read {read}, loaded {loaded_} (table holds {held}), quarantined "
            f"{quarantined} (quarantine holds {in_quarantine}), ignored {ignored}"
            for path, table, read, loaded_, quarantined, ignored, held, in_quarantine in rows]
