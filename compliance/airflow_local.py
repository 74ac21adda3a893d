"""Running this checkout's DAGs locally with `airflow dags test`, in an isolated AIRFLOW_HOME.

Used by `compliance demo` and by the DAG tests. Equivalent shell::

    export AIRFLOW_HOME=<dir> AIRFLOW__CORE__DAGS_FOLDER=<repo>/dags AIRFLOW__CORE__LOAD_EXAMPLES=False
    airflow db migrate
    airflow pools set compliance_warehouse 1 "DuckDB writer"
    COMPLIANCE_HOME=<home> airflow dags test compliance_monthly_report -c '{"month": "2016-02"}'

Traps seen with Airflow 3.3.2: `dags test` ignores pools (a deployment must still create the
one-slot pool); a failing task is retried after `retry_delay` while `dags test` ignores SIGTERM, so
timeouts kill; a logical date before the DAG's start_date "succeeds" with no task, so success is
read from the tasks' own `COMPLIANCE_RESULT` lines, never from the exit code alone.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from compliance.config import REPO_ROOT
from compliance.errors import ComplianceError

DAGS_FOLDER = REPO_ROOT / "dags"
POOL = "compliance_warehouse"
DAG_TIMEOUT = 600
SETUP_TIMEOUT = 180
RESULT_MARKER = "COMPLIANCE_RESULT "


def airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else (shutil.which("airflow") or "airflow")


def airflow_env(airflow_home: Path, compliance_home: Path | None = None, *,
                policy: Path | None = None, landing: Path | None = None) -> dict[str, str]:
    """The environment of every Airflow subprocess: nothing inherited that could reach a real
    Airflow or a real warehouse."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW_", "AIRFLOW__", "COMPLIANCE_"))}
    env.update({
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "GX_ANALYTICS_ENABLED": "false",
        "COMPLIANCE_LOCK_WAIT": os.environ.get("COMPLIANCE_LOCK_WAIT", "30"),
        # The DAG files import this checkout's `compliance`, whatever is installed.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    })
    # The key that signs report manifests is the caller's, wherever it is kept (docs/evidence.md).
    if os.environ.get("COMPLIANCE_SIGNING_KEY"):
        env["COMPLIANCE_SIGNING_KEY"] = os.environ["COMPLIANCE_SIGNING_KEY"]
    if compliance_home is not None:
        env["COMPLIANCE_HOME"] = str(compliance_home)
    if policy is not None:
        env["COMPLIANCE_POLICY"] = str(policy)
    if landing is not None:
        env["COMPLIANCE_LANDING"] = str(landing)
    return env


def airflow_cli(airflow_home: Path, *args: str, env: dict[str, str] | None = None,
                timeout: float = DAG_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([airflow_bin(), *args], env=env or airflow_env(airflow_home),
                          capture_output=True, text=True, timeout=timeout, cwd=airflow_home)


def explain(proc: subprocess.CompletedProcess) -> str:
    return (f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}\n"
            f"--- stderr ---\n{proc.stderr[-4000:]}")


def prepare_airflow_home(airflow_home: Path) -> None:
    """Migrate a SQLite metadata DB and create the one-slot warehouse pool (idempotent)."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    for args in (("db", "migrate"), ("pools", "set", POOL, "1", "DuckDB writer")):
        proc = airflow_cli(airflow_home, *args, timeout=SETUP_TIMEOUT)
        if proc.returncode != 0:
            raise ComplianceError(f"`airflow {' '.join(args)}` failed: {_last_line(proc)}",
                                  path=str(airflow_home))


def run_monthly_dag(airflow_home: Path, compliance_home: Path, month: str | None,
                    policy: Path | None = None, *, logical_date: str | None = None,
                    extra_env: dict[str, str] | None = None,
                    timeout: float = DAG_TIMEOUT) -> subprocess.CompletedProcess:
    """`airflow dags test compliance_monthly_report [logical_date] -c '{"month": ...}'`.

    `month=None` passes no conf, so the DAG derives the month from the data interval of
    `logical_date` (give one after the 1st, 06:00 ET, of the month following the one wanted).
    `extra_env` adds Airflow connections or Variables (AIRFLOW_CONN_*, AIRFLOW_VAR_*).
    """
    args = ["dags", "test", "compliance_monthly_report"]
    if logical_date:
        args.append(logical_date)
    if month is not None:
        args += ["-c", json.dumps({"month": month})]
    env = airflow_env(airflow_home, compliance_home, policy=policy) | (extra_env or {})
    return airflow_cli(airflow_home, *args, timeout=timeout, env=env)


def run_daily_dag(airflow_home: Path, compliance_home: Path, landing: Path,
                  policy: Path | None = None, *, timeout: float = DAG_TIMEOUT) -> subprocess.CompletedProcess:
    """`airflow dags test compliance_daily_ingest` over `landing`."""
    return airflow_cli(airflow_home, "dags", "test", "compliance_daily_ingest", timeout=timeout,
                       env=airflow_env(airflow_home, compliance_home, policy=policy, landing=landing))


def dag_results(proc: subprocess.CompletedProcess) -> list[dict]:
    """The JSON lines the DAG tasks print after their pipeline call."""
    return [json.loads(line.split(RESULT_MARKER, 1)[1])
            for line in (proc.stdout + "\n" + proc.stderr).splitlines() if RESULT_MARKER in line]


def run_succeeded(proc: subprocess.CompletedProcess) -> bool:
    text = proc.stdout + proc.stderr
    return proc.returncode == 0 and "state=success" in text and "Traceback" not in text


def _last_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {proc.returncode}"
