"""The stages as plain functions: the CLI, the Airflow DAGs and the tests all call these.

Each takes explicit arguments (warehouse home, month, policy pack path) and opens the warehouse
only for as long as it needs it, since DuckDB allows one writer process per file.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from compliance import warehouse
from compliance.months import previous_month  # noqa: F401  (part of the pipeline API for the DAGs)
from compliance.policy.pack import load_pack
from compliance.rules.engine import evaluate_month
from compliance.sources.canonical import ingest_file, ingest_landing as _ingest_landing

# How long a landing table may go without a new file before the daily DAG alerts (hours).
FRESHNESS_WINDOW_HOURS = {
    "access_events": 36,
    "custody_events": 36,
    "arrests": 36,
    "charges": 72,
    "detainers": 72,
}


def _log(con, run_id: str, step: str, month: str | None, started: dt.datetime, status: str,
         detail: dict) -> None:
    con.execute("INSERT INTO run_log VALUES (?, ?, ?, ?, current_timestamp, ?, ?)",
                [run_id, step, month, started, status, json.dumps(detail, sort_keys=True, default=str)])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def ingest_landing(home: Path, landing: Path, policy_path: Path | None = None,
                   source_tz: str | None = None, progress=None) -> list[dict]:
    """Load a canonical landing folder; one dict per file (see BatchResult)."""
    pack = load_pack(policy_path)
    started = _now()
    with warehouse.connect(Path(home)) as con:
        results = _ingest_landing(con, Path(landing), source_tz or pack.timezone, progress=progress)
        _log(con, uuid.uuid4().hex, "ingest", None, started, "success",
             {"landing": str(landing), "files": len(results),
              "changed": sum(r.status != "unchanged" for r in results)})
    return [r.as_dict() for r in results]


def ingest_files(home: Path, paths: list[Path], policy_path: Path | None = None,
                 source_tz: str | None = None, progress=None) -> list[dict]:
    """Load single canonical files; each file's folder names its table."""
    pack = load_pack(policy_path)
    results = []
    with warehouse.connect(Path(home)) as con:
        for index, path in enumerate(paths, 1):
            result = ingest_file(con, Path(path), source_tz=source_tz or pack.timezone)
            results.append(result)
            if progress:
                progress(index, len(paths), result)
    return [r.as_dict() for r in results]


def check_freshness(home: Path, policy_path: Path | None = None, now: dt.datetime | None = None) -> list[str]:
    """Landing tables that have sent no file for longer than their window, as readable lines."""
    now = now or _now()
    with warehouse.connect(Path(home)) as con:
        last = dict(con.execute(
            "SELECT table_name, max(ingested_at) FROM batches GROUP BY table_name").fetchall())
    stale = []
    for table, hours in sorted(FRESHNESS_WINDOW_HOURS.items()):
        seen = last.get(table)
        if seen is None:
            stale.append(f"{table}: no file received yet (window {hours} h)")
        elif now - seen > dt.timedelta(hours=hours):
            stale.append(f"{table}: last file {seen:%Y-%m-%d %H:%M} UTC, over the {hours} h window")
    return stale


def validate(home: Path, month: str) -> dict:
    from compliance.quality.validate import validate_month

    return validate_month(Path(home), month)


def evaluate(home: Path, month: str, policy_path: Path | None = None) -> int:
    pack = load_pack(policy_path)
    started = _now()
    with warehouse.connect(Path(home)) as con:
        count = evaluate_month(con, pack, month)
        _log(con, uuid.uuid4().hex, "evaluate", month, started, "success", {"flags": count})
    return count


def report(home: Path, month: str, policy_path: Path | None = None) -> Path:
    from compliance.reports.monthly import build_monthly_report

    pack = load_pack(policy_path)
    with warehouse.connect(Path(home)) as con:
        return build_monthly_report(con, Path(home), month, pack)


def run_month(home: Path, month: str, policy_path: Path | None = None) -> dict:
    """Validate, evaluate and report one month."""
    validation = validate(home, month)
    flags = evaluate(home, month, policy_path)
    path = report(home, month, policy_path)
    return {"month": month, "flags": flags, "blocking_failures": validation["blocking_failures"],
            "incomplete": validation["blocking_failures"] > 0, "report": str(path)}
