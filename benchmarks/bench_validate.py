"""Validating a month of access events (GX on DuckDB, SQL pushdown) against DuckDB scanning it.

A month of ROWS access events is generated inside DuckDB, with the account register they refer
to. The baseline is one DuckDB query over the month that reads every column the access_events
suite checks; the figure is validate_month (every suite) over that baseline, both measured
here, after GX has been imported once (its import time is reported on its own).
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import duckdb

from compliance import warehouse
from compliance.config import warehouse_path
from compliance.months import month_bounds

ROWS = int(os.environ.get("BENCH_VALIDATE_ROWS", "10000000"))
MONTH, TZ = "2026-03", "America/New_York"


def _generate(home: Path, rows: int) -> None:
    start, end = (bound.astimezone(dt.timezone.utc) for bound in month_bounds(MONTH, TZ))
    step = (end - start).total_seconds() / rows  # in UTC: the month has 23-hour March 8
    with warehouse.connect(home) as con:
        con.execute(f"""
            INSERT INTO access_events (event_id, event_ts, account_id, client_addr, action, subject_person_id,
                                       search_terms, case_number, purpose_code, result_count, outcome,
                                       sequence_no, source, batch_id, source_line)
            SELECT 'AE' || i, TIMESTAMPTZ '{start.isoformat()}' + to_microseconds(CAST(i * {step} * 1e6 AS BIGINT)),
                   'acct' || (i % 2000), '10.0.' || (i % 250) || '.' || (i % 7),
                   ['login', 'search', 'view', 'view', 'search', 'export', 'logout'][1 + i % 7],
                   'P' || (i % 200000), 'last_name = ''X' || (i % 997) || '''', 'MC-' || (i % 50000),
                   ['C', 'J', 'E'][1 + i % 3], i % 40, 'success', i + 1, 'pars_app', 'bench', i + 2
            FROM range({rows}) t(i)""")
        con.execute("""
            INSERT INTO accounts (account_id, agency, agency_kind, access_start)
            SELECT 'acct' || i, 'Police', 'city', DATE '2010-01-01' FROM range(2000) t(i)""")
        con.execute("CHECKPOINT")


def _scan_seconds(home: Path) -> float:
    start, end = month_bounds(MONTH, TZ)
    con = duckdb.connect(str(warehouse_path(home)), read_only=True)
    try:
        began = time.perf_counter()
        con.execute("""
            SELECT count(*), count(event_id), count(DISTINCT event_id), count(account_id),
                   count(DISTINCT account_id), max(action), max(outcome), min(result_count),
                   max(sequence_no), max(batch_id)
            FROM access_events WHERE event_ts >= ? AND event_ts < ?""", [start, end]).fetchall()
        return time.perf_counter() - began
    finally:
        con.close()


def run() -> dict:
    from compliance.quality.validate import validate_month

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as folder:
        home = Path(folder)
        began = time.perf_counter()
        _generate(home, ROWS)
        generated = time.perf_counter() - began

        began = time.perf_counter()
        validate_month(home, "2026-02", tz=TZ)  # an empty month: imports GX and warms its caches
        first_call = time.perf_counter() - began

        scan = min(_scan_seconds(home) for _ in range(3))
        began = time.perf_counter()
        summary = validate_month(home, MONTH, tz=TZ)
        validate = time.perf_counter() - began
        size = warehouse_path(home).stat().st_size

    access = [r for r in summary["results"] if r["table_name"] == "access_events"]
    assert summary["blocking_failures"] == 0 and summary["warnings"] == 0, summary
    assert any(r["observed"] == f"0 of {ROWS} rows unexpected" for r in access), access
    return {
        "rows": ROWS,
        "expectations": len(summary["results"]),
        "access_events_expectations": len(access),
        "generate_seconds": round(generated, 2),
        "warehouse_mb": round(size / 2**20),
        "first_validation_seconds_incl_gx_import": round(first_call, 2),
        "baseline_scan_seconds": round(scan, 3),
        "validate_month_seconds": round(validate, 2),
        "validate_over_scan": round(validate / scan, 1),
    }
