"""Run the real DAGs with `airflow dags test` in an isolated AIRFLOW_HOME (SQLite).

What a user would type, as subprocesses with timeouts::

    export AIRFLOW_HOME=<tmp> AIRFLOW__CORE__DAGS_FOLDER=<repo>/dags AIRFLOW__CORE__LOAD_EXAMPLES=False
    airflow db migrate
    airflow pools set compliance_warehouse 1 "DuckDB writer"
    COMPLIANCE_HOME=<home> airflow dags test compliance_monthly_report -c '{"month": "2016-02"}'

`run_monthly_dag()` and the session's `airflow_home` fixture (tests/conftest.py) are meant for
reuse, e.g. to compare the DAG's flags with `compliance flags --month` on the same
COMPLIANCE_HOME (run them one after the other: DuckDB allows one process per warehouse file).

Traps seen with Airflow 3.3.2 that shape this file:
* `dags test` ignores pools (it runs tasks in-process without the scheduler), so a missing pool does
  not break it; under a scheduler the same tasks would never start. The fixture creates the pool
  anyway and checks it, as a deployment must.
* A failing task is retried after `retry_delay` (minutes) inside `dags test`, which sleeps and
  ignores SIGTERM meanwhile; `subprocess.run(timeout=...)` kills with SIGKILL, which works.
* A logical date before the DAG's start_date gives a run with no tasks that still "succeeds":
  success is asserted on the task's own output, never on the exit code alone.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from compliance.airflow_local import (DAG_TIMEOUT, airflow_cli, airflow_env, dag_results, explain,
                                      run_daily_dag, run_monthly_dag, run_succeeded)
from support import SMTP_CONN_ID, attachments, smtp_connection

pytestmark = pytest.mark.slow

MONTH = "2016-02"


def assert_run_succeeded(proc: subprocess.CompletedProcess) -> None:
    assert run_succeeded(proc), explain(proc)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """A synthetic canonical landing folder for MONTH (the project's own generator)."""
    from compliance.synth import generate

    folder = tmp_path_factory.mktemp("landing")
    generate(folder, MONTH, MONTH, 1)
    return folder


@pytest.fixture
def compliance_home(tmp_path, landing) -> Path:
    """A warehouse home with MONTH ingested (directly, not through Airflow)."""
    from compliance import pipeline

    home = tmp_path / "compliance-home"
    home.mkdir(mode=0o700)
    batches = pipeline.ingest_landing(home, landing)
    assert batches and sum(b["rows_loaded"] for b in batches) > 0
    return home


def test_monthly_dag_with_month_param_reports_and_delivers(airflow_home, compliance_home, landing, tmp_path,
                                                           compliance_cli, smtp_server):
    """Recipients in Airflow Variables and the SMTP server in an Airflow connection, both through
    the environment as a deployment could give them."""
    proc = run_monthly_dag(airflow_home, compliance_home, MONTH, extra_env={
        f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}": smtp_connection(smtp_server.port),
        "AIRFLOW_VAR_COMPLIANCE_SMTP_CONN_ID": SMTP_CONN_ID,
        "AIRFLOW_VAR_COMPLIANCE_COMMITTEE_RECIPIENTS": "chair@example.org, clerk@example.org",
        "AIRFLOW_VAR_COMPLIANCE_IG_RECIPIENTS": "ig-staff@example.org",
    })
    assert_run_succeeded(proc)
    # The task log carries the pipeline's lines, not Great Expectations' or WeasyPrint's INFO chatter.
    lines = (proc.stdout + proc.stderr).splitlines()
    chatter = [line for line in lines if "[info" in line and ("[great_expectations" in line or "[weasyprint" in line)]
    assert chatter == [], f"{len(chatter)} of {len(lines)} lines: {chatter[:3]}"
    results = dag_results(proc)
    assert len(results) == 1, explain(proc)
    result = results[0]
    assert result["month"] == MONTH
    assert isinstance(result["flags"], int) and result["flags"] > 0
    assert Path(result["report"]).is_file()
    assert Path(result["report"]).resolve().is_relative_to(compliance_home.resolve())
    assert not (compliance_home / "alerts.log").exists()  # complete month, no failure: no alert

    delivery = [json.loads(line.split("COMPLIANCE_DELIVERY ", 1)[1])
                for line in (proc.stdout + proc.stderr).splitlines() if "COMPLIANCE_DELIVERY " in line]
    assert delivery and delivery[0]["committee"] == "sent" and delivery[0]["ig_note"] == "sent", explain(proc)
    [committee] = smtp_server.to("chair@example.org")
    assert smtp_server.to("clerk@example.org") == [committee]
    assert committee["Subject"] == f"Immigration data-sharing summary for February 2016 ({MONTH})"
    pdf = attachments(committee)[f"committee-summary-{MONTH}.pdf"]
    assert pdf == Path(result["reports"]["committee_pdf"]).read_bytes()
    [note] = smtp_server.to("ig-staff@example.org")
    assert note["Subject"].startswith(f"Compliance report {MONTH} {result['report_version']} ready")

    # The same month through the CLI, in a separate home, gives the very same flags.
    cli_home = tmp_path / "cli-home"
    for args in (("ingest", str(landing)), ("run", "--month", MONTH)):
        assert compliance_cli(cli_home, *args).returncode == 0
    dag_flags = compliance_cli(compliance_home, "flags", "--month", MONTH, "--format", "json").stdout
    cli_flags = compliance_cli(cli_home, "flags", "--month", MONTH, "--format", "json").stdout
    assert len(dag_flags.splitlines()) == result["flags"]
    assert dag_flags == cli_flags


def test_monthly_dag_derives_month_from_data_interval(airflow_home, compliance_home):
    # A run just after 2016-03-01 06:00 ET: Airflow infers the interval [Feb 1, Mar 1) 06:00 ET.
    proc = run_monthly_dag(airflow_home, compliance_home, None, logical_date="2016-03-01T12:00:00+00:00")
    assert_run_succeeded(proc)
    assert [r["month"] for r in dag_results(proc)] == [MONTH], explain(proc)


def test_monthly_dag_rejects_bad_month(airflow_home, tmp_path):
    """The param's pattern stops a malformed month before any task (or the warehouse) is touched."""
    home = tmp_path / "untouched-home"
    proc = run_monthly_dag(airflow_home, home, "2016-13")
    assert proc.returncode != 0
    assert "ParamValidationError" in proc.stdout + proc.stderr, explain(proc)
    assert not home.exists()


def test_daily_ingest_dag(airflow_home, landing, tmp_path):
    home = tmp_path / "daily-home"
    proc = run_daily_dag(airflow_home, home, landing)
    assert_run_succeeded(proc)
    [summary] = dag_results(proc)
    assert summary["batches"] == len([p for p in landing.glob("*/*") if p.suffix in (".csv", ".jsonl")])
    assert summary["rows_loaded"] > 0 and summary["rows_read"] == (
        summary["rows_loaded"] + summary["rows_quarantined"] + summary["rows_ignored"])
    # Every table just received a file: nothing is stale, nothing failed.
    alerts = (home / "alerts.log").read_text() if (home / "alerts.log").exists() else ""
    assert alerts == "", alerts


def test_daily_ingest_without_landing_fails_fast_and_alerts(airflow_home, tmp_path):
    """No landing folder configured: the task fails without retries and the notifier writes it."""
    home = tmp_path / "no-landing-home"
    proc = airflow_cli(airflow_home, "dags", "test", "compliance_daily_ingest",
                       env=airflow_env(airflow_home, home), timeout=DAG_TIMEOUT)
    assert proc.returncode != 0
    lines = (home / "alerts.log").read_text().splitlines()
    assert len(lines) == 1, lines
    assert " FAILED dag=compliance_daily_ingest task=ingest_landing " in lines[0]
    assert "no landing folder" in lines[0]
