"""`compliance demo`: synthetic months through the real Airflow DAGs, end to end."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from compliance.airflow_local import (dag_results, explain, prepare_airflow_home, run_daily_dag,
                                      run_monthly_dag, run_succeeded)
from compliance.config import owner_only
from compliance.errors import ComplianceError
from compliance.months import month_range


def _step(text: str) -> float:
    print(text, file=sys.stderr, flush=True)
    return time.perf_counter()


def _done(started: float) -> None:
    print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def run_demo(home: Path, month_from: str, month_to: str, seed: int) -> Path:
    """Generate the months, run the daily ingest DAG and the monthly DAG for each; return the
    last month's report. Everything it makes under `home`, the Airflow runs' files included (the
    umask is inherited), is owner-only: the landing and the task logs hold the same personal data
    as the warehouse."""
    with owner_only():
        return _run_demo(home, month_from, month_to, seed)


def _run_demo(home: Path, month_from: str, month_to: str, seed: int) -> Path:
    from compliance.synth import generate

    months = month_range(month_from, month_to)
    landing = home / "landing"
    started = _step(f"[1/4] generating {month_from}..{month_to} (seed {seed}) into {landing}")
    summary = generate(landing, month_from, month_to, seed)
    _done(started)
    print(f"  {summary}", file=sys.stderr)

    airflow_home = home / "airflow"
    started = _step(f"[2/4] preparing an isolated Airflow home in {airflow_home} (SQLite metadata)")
    prepare_airflow_home(airflow_home)
    _done(started)

    started = _step("[3/4] airflow dags test compliance_daily_ingest")
    proc = run_daily_dag(airflow_home, home, landing)
    if not run_succeeded(proc) or not dag_results(proc):
        raise ComplianceError("the daily ingest DAG failed; its log:\n" + explain(proc))
    _done(started)
    print(f"  {dag_results(proc)[-1]}", file=sys.stderr)

    report = None
    for index, month in enumerate(months, 1):
        started = _step(f"[4/4] airflow dags test compliance_monthly_report, month {month} "
                        f"({index}/{len(months)})")
        proc = run_monthly_dag(airflow_home, home, month)
        results = dag_results(proc)
        if not run_succeeded(proc) or not results:
            raise ComplianceError(f"the monthly DAG failed for {month}; its log:\n" + explain(proc))
        _done(started)
        result = results[-1]
        print(f"  {month}: {result['flags']} flags, {result['status']}", file=sys.stderr)
        for line in result["missing_sources"]:
            print(f"  {month}: missing: {line}", file=sys.stderr)
        report = Path(result["report"])
    return report
