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


def add_accounts(home: Path, compliance_cli) -> None:
    for name, role in (("rita", "reviewer"), ("abe", "approver")):
        proc = compliance_cli(home, "users", "add", name, "--role", role, "--password-stdin",
                              input=f"{name}-password-1\n")
        assert proc.returncode == 0, proc.stderr


def signed_in(base: str, name: str):
    """An HTTP client signed in to the review app as `name`, and a function for a form's CSRF token."""
    import re

    import httpx

    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    answer = client.post("/login", data={"name": name, "password": f"{name}-password-1", "csrf_token": token})
    assert answer.status_code in (200, 303), answer.text[:300]
    return client, lambda path: re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_monthly_dag_waits_for_signoff_while_the_review_app_records_reviews(
        airflow_home, compliance_home, landing, tmp_path, compliance_cli, smtp_server):
    """The month was reported once before; the monthly DAG runs it again (holding the warehouse's
    write lock in run_report) while a reviewer records decisions in the review app, a separate
    process. The IG note goes out at once; the committee summary only once the approver has signed
    the version off in the app, and then as its signed-off edition. Recipients in Airflow
    Variables, the SMTP server in an Airflow connection, as a deployment gives them."""
    import os
    import signal
    import sys
    import time

    from compliance import pipeline
    from compliance.airflow_local import airflow_bin
    from compliance.review.store import open_store
    from support import free_port

    first = pipeline.run_month(compliance_home, MONTH)
    add_accounts(compliance_home, compliance_cli)
    port = free_port()
    app_log = (tmp_path / "app.log").open("w")
    app = subprocess.Popen([sys.executable, "-m", "compliance.cli", "--home", str(compliance_home), "serve",
                            "--port", str(port)], stdout=app_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    dag_log_path = tmp_path / "dag.log"
    env = airflow_env(airflow_home, compliance_home) | {
        f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}": smtp_connection(smtp_server.port),
        "AIRFLOW_VAR_COMPLIANCE_SMTP_CONN_ID": SMTP_CONN_ID,
        "AIRFLOW_VAR_COMPLIANCE_COMMITTEE_RECIPIENTS": "chair@example.org, clerk@example.org",
        "AIRFLOW_VAR_COMPLIANCE_IG_RECIPIENTS": "ig-staff@example.org",
        "COMPLIANCE_SIGNOFF_POKE_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",  # the log is read while the run goes on
    }
    dag = None
    try:
        import httpx

        for _ in range(100):
            try:
                if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        reviewer, csrf = signed_in(base, "rita")
        with open_store(compliance_home) as store:
            from compliance.review.queue import month_queue

            flag_ids = [row["flag_id"] for row in month_queue(store, compliance_home, MONTH)]
        with dag_log_path.open("w") as dag_log:
            dag = subprocess.Popen([airflow_bin(), "dags", "test", "compliance_monthly_report", "-c",
                                    json.dumps({"month": MONTH})], env=env, stdout=dag_log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
            reviewed, during_run_report = [], 0
            deadline = time.monotonic() + DAG_TIMEOUT
            while "awaiting sign-off" not in dag_log_path.read_text() and time.monotonic() < deadline:
                assert dag.poll() is None, dag_log_path.read_text()[-4000:]
                log = dag_log_path.read_text()
                if "reporting month" not in log:  # reviews begin once the run has begun
                    time.sleep(0.2)
                elif len(reviewed) < len(flag_ids):
                    flag_id = flag_ids[len(reviewed)]
                    answer = reviewer.post(f"/flags/{flag_id}/review", data={
                        "disposition": "confirmed", "note": "reviewed during the run",
                        "csrf_token": csrf(f"/flags/{flag_id}")}, follow_redirects=False)
                    assert answer.status_code == 303, (answer.status_code, answer.text[:500])
                    reviewed.append(flag_id)
                    # run_report has started (its month chosen) and not yet published its result.
                    during_run_report += "reporting month" in log and "COMPLIANCE_RESULT" not in log
                else:
                    time.sleep(0.5)
            assert "awaiting sign-off" in dag_log_path.read_text(), dag_log_path.read_text()[-4000:]
            assert during_run_report > 0, "no review was recorded while run_report held the warehouse"
            print(f"{len(reviewed)} reviews recorded during the run, {during_run_report} while run_report ran")
            # Waiting: the IG note is out, the committee summary is not.
            time.sleep(5)
            assert smtp_server.to("chair@example.org") == []
            [note] = smtp_server.to("ig-staff@example.org")
            assert note["Subject"].startswith(f"Compliance report {MONTH} {first['report_version']} ready")
            assert dag.poll() is None

            approver, approver_csrf = signed_in(base, "abe")
            answer = approver.post(f"/months/{MONTH}/signoff", data={
                "note": "reviewed in full", "csrf_token": approver_csrf(f"/months/{MONTH}/signoff")},
                follow_redirects=False)
            assert answer.status_code == 303, (answer.status_code, answer.text[:500])
            dag.wait(timeout=DAG_TIMEOUT)
        output = dag_log_path.read_text()
    finally:
        if dag is not None and dag.poll() is None:
            os.killpg(dag.pid, signal.SIGKILL)
        app.terminate()
        app.wait(timeout=30)
        app_log.close()
    proc = subprocess.CompletedProcess(dag.args, dag.returncode, output, "")
    assert_run_succeeded(proc)
    assert "lock" not in (tmp_path / "app.log").read_text().lower()
    assert "database is locked" not in output and "Could not set lock" not in output

    # The task log carries the pipeline's lines, not Great Expectations' or WeasyPrint's INFO chatter.
    lines = output.splitlines()
    chatter = [line for line in lines if "[info" in line and ("[great_expectations" in line or "[weasyprint" in line)]
    assert chatter == [], f"{len(chatter)} of {len(lines)} lines: {chatter[:3]}"
    [result] = dag_results(proc)
    assert result["month"] == MONTH and result["report_version"] == first["report_version"]
    assert isinstance(result["flags"], int) and result["flags"] == len(flag_ids) > 0
    assert Path(result["report"]).resolve().is_relative_to(compliance_home.resolve())
    assert not (compliance_home / "alerts.log").exists()  # complete month, no failure: no alert

    # Every review the app accepted is recorded, once.
    with open_store(compliance_home) as store:
        decided = store.latest(MONTH)
    assert sorted(f for f, d in decided.items() if d.disposition == "confirmed") == sorted(reviewed)

    delivery = [json.loads(line.split("COMPLIANCE_DELIVERY ", 1)[1]) for line in lines if "COMPLIANCE_DELIVERY " in line]
    assert [d["committee"] for d in delivery] == [
        f"held: {result['report_version']} awaits an approver's sign-off", "sent"], explain(proc)
    [committee] = smtp_server.to("chair@example.org")
    assert smtp_server.to("clerk@example.org") == [committee]
    assert committee["Subject"] == f"Immigration data-sharing summary for February 2016 ({MONTH})"
    edition = Path(result["reports"]["committee_pdf"]).parent / "signed-off"
    pdf = attachments(committee)[f"committee-summary-{MONTH}.pdf"]
    assert pdf == (edition / f"committee-summary-{MONTH}.pdf").read_bytes()
    assert len(smtp_server.to("ig-staff@example.org")) == 1  # the note is not sent twice

    # The same month through the CLI, in a separate home, gives the very same flags.
    cli_home = tmp_path / "cli-home"
    for args in (("ingest", str(landing)), ("run", "--month", MONTH)):
        assert compliance_cli(cli_home, *args).returncode == 0
    dag_flags = compliance_cli(compliance_home, "flags", "--month", MONTH, "--format", "json").stdout
    cli_flags = [json.loads(line) for line in compliance_cli(cli_home, "flags", "--month", MONTH,
                                                                "--format", "json").stdout.splitlines()]
    dag_flags = [json.loads(line) for line in dag_flags.splitlines()]
    assert len(dag_flags) == result["flags"]
    # The same flags; only the DAG's home has reviewed them.
    assert [{**f, "disposition": "", "reviewed_at": ""} for f in dag_flags] == cli_flags
    assert {f["disposition"] for f in dag_flags if f["flag_id"] in reviewed} == {"confirmed"}


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
