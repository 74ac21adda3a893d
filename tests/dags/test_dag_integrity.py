"""The DAG files parse, are thin and cheap, and say what docs/operations.md says they do.

No metadata database is needed: `DagBag` only imports the files (conftest points Airflow at a
throw-away AIRFLOW_HOME).
"""
from __future__ import annotations

import ast
import html
import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from compliance.delivery.alerts import ALERTS_FILE, ComplianceAlertNotifier, append_alert, describe
from compliance.months import report_month_for
from compliance.settings import SCHEDULE_TZ
from support import SMTP_CONN_ID, free_port, smtp_connection

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO_ROOT / "dags"
NY = ZoneInfo("America/New_York")
UTC = timezone.utc
POOL = "compliance_warehouse"

EXPECTED = {
    "compliance_daily_ingest": {
        "cron": "30 5 * * *",
        "warehouse_tasks": {"ingest_landing", "pull_live_audit", "check_freshness"},
        "tasks": {"ingest_landing", "pull_live_audit", "check_freshness"},
        "max_active_runs": 1,
    },
    "compliance_monthly_report": {
        "cron": "0 6 1 * *",
        "warehouse_tasks": {"run_report"},
        "tasks": {"choose_month", "run_report", "deliver_reports", "await_signoff", "deliver_after_signoff"},
        # A month waits days for its sign-off; re-runs of other months must not queue behind it.
        "max_active_runs": 3,
    },
}
FORBIDDEN_AT_PARSE = ("great_expectations", "pandas", "compliance.pipeline", "duckdb",
                      "compliance.warehouse")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    # No include_examples kwarg in Airflow 3.3 (TypeError); AIRFLOW__CORE__LOAD_EXAMPLES=False instead.
    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(params=sorted(EXPECTED))
def dag(request, dagbag):
    return dagbag.dags[request.param]


def _tz_name(tz) -> str:
    return str(getattr(tz, "name", tz))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_both_dags_present(dagbag):
    assert set(EXPECTED) <= set(dagbag.dag_ids)


def test_tags_owner_doc(dag):
    assert "compliance" in dag.tags and len(dag.tags) >= 2
    assert dag.doc_md and dag.dag_id in dag.doc_md
    for task in dag.tasks:
        assert task.owner == "compliance"


# A sensor that timed out is not retried: it alerts once (docs/operations.md, "Sign-off").
NOT_RETRIED = {"await_signoff"}


def test_retries_and_failure_notifier(dag):
    for task in dag.tasks:
        assert task.retries == 0 if task.task_id in NOT_RETRIED else task.retries >= 2, task.task_id
        assert task.retry_delay.total_seconds() > 0, task.task_id
        callbacks = task.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert any(isinstance(cb, ComplianceAlertNotifier) for cb in callbacks), task.task_id


def test_run_control(dag):
    assert dag.catchup is False
    assert dag.max_active_runs == EXPECTED[dag.dag_id]["max_active_runs"]
    # A run whose logical date is before start_date is created with no tasks and still "succeeds":
    # keep start_date before every month the policy pack covers (EO 1-14 starts 2014-04-16).
    assert dag.start_date <= datetime(2014, 1, 1, tzinfo=UTC)


def test_signoff_wait_holds_no_worker_slot_and_alerts_when_overdue(dagbag):
    dag = dagbag.dags["compliance_monthly_report"]
    sensor = dag.get_task("await_signoff")
    assert sensor.mode == "reschedule" and sensor.pool != POOL
    assert sensor.poke_interval == 15 * 60 and sensor.timeout == 20 * 24 * 3600
    callbacks = sensor.on_failure_callback
    assert [cb.kind for cb in (callbacks if isinstance(callbacks, list) else [callbacks])] == ["SIGNOFF_OVERDUE"]
    # It reads run_report's result, after the IG note has gone out.
    assert sorted(t.task_id for t in sensor.upstream_list) == ["deliver_reports", "run_report"]
    assert [t.task_id for t in sensor.downstream_list] == ["deliver_after_signoff"]


def test_timetable(dag):
    timetable = dag.timetable
    assert type(timetable).__name__ == "CronDataIntervalTimetable"
    assert timetable.expression == EXPECTED[dag.dag_id]["cron"]
    assert _tz_name(timetable.timezone) == "America/New_York"


def test_pool_on_warehouse_tasks(dag):
    expected = EXPECTED[dag.dag_id]
    assert {t.task_id for t in dag.tasks} == expected["tasks"]
    for task in dag.tasks:
        if task.task_id in expected["warehouse_tasks"]:
            assert task.pool == POOL, task.task_id
            assert task.pool_slots == 1
        else:
            assert task.pool != POOL, f"{task.task_id} does not open the warehouse"


def test_monthly_month_param(dagbag):
    from airflow.sdk.definitions.param import Param
    from airflow.sdk.exceptions import ParamValidationError

    params = dagbag.dags["compliance_monthly_report"].params
    param = params.get_param("month")
    assert param.value == ""
    assert param.schema["type"] == "string"
    for good in ("", "2016-02", "2026-12"):
        assert Param(param.value, **param.schema).resolve(good) == good
    # A trailing newline, full-width digits and padding pass a `$`/`\d` pattern: not this one.
    for bad in ("2016-13", "2016-2", "Feb 2016", "2016-02-01", "2018-08\n", "\n",
                "\uff12\uff10\uff11\uff18-08", " 2016-02", "2016-02 "):
        with pytest.raises(ParamValidationError):
            Param(param.value, **param.schema).resolve(bad)


def _core_timetable(dag):
    """The scheduler-side timetable the DAG's schedule turns into."""
    from airflow.timetables.interval import CronDataIntervalTimetable

    return CronDataIntervalTimetable(dag.timetable.expression, dag.timetable.timezone)


@pytest.mark.parametrize("run_at, interval, month", [
    # run at 2026-03-01 06:00 EST covers February
    (datetime(2026, 3, 1, 6, 0, tzinfo=NY),
     (datetime(2026, 2, 1, 6, tzinfo=NY), datetime(2026, 3, 1, 6, tzinfo=NY)), "2026-02"),
    # interval across the DST start (2026-03-08): 06:00 EST -> 06:00 EDT
    (datetime(2026, 4, 1, 6, 0, tzinfo=NY),
     (datetime(2026, 3, 1, 6, tzinfo=NY), datetime(2026, 4, 1, 6, tzinfo=NY)), "2026-03"),
    # run on the DST end day itself (2026-11-01, clocks back at 02:00)
    (datetime(2026, 11, 1, 6, 0, tzinfo=NY),
     (datetime(2026, 10, 1, 6, tzinfo=NY), datetime(2026, 11, 1, 6, tzinfo=NY)), "2026-10"),
    (datetime(2026, 12, 1, 6, 0, tzinfo=NY),
     (datetime(2026, 11, 1, 6, tzinfo=NY), datetime(2026, 12, 1, 6, tzinfo=NY)), "2026-11"),
    (datetime(2026, 1, 1, 6, 0, tzinfo=NY),
     (datetime(2025, 12, 1, 6, tzinfo=NY), datetime(2026, 1, 1, 6, tzinfo=NY)), "2025-12"),
])
def test_monthly_schedule_intervals_give_previous_month(dagbag, run_at, interval, month):
    """The intervals tests/test_months.py assumes are the ones Airflow really produces."""
    import pendulum

    timetable = _core_timetable(dagbag.dags["compliance_monthly_report"])
    got = timetable.infer_manual_data_interval(run_after=pendulum.instance(run_at))
    assert (got.start, got.end) == interval
    assert got.end.utcoffset() == interval[1].utcoffset()  # 06:00 local, whatever the offset
    assert report_month_for(got.start, got.end, run_at, "", SCHEDULE_TZ) == month


def test_monthly_schedule_next_run_after_start_of_march(dagbag):
    """After the January interval the scheduler runs February's at 2026-03-01 06:00 ET."""
    import pendulum
    from airflow.timetables.base import DataInterval, TimeRestriction

    timetable = _core_timetable(dagbag.dags["compliance_monthly_report"])
    last = DataInterval(pendulum.datetime(2026, 1, 1, 6, tz="America/New_York"),
                        pendulum.datetime(2026, 2, 1, 6, tz="America/New_York"))
    info = timetable.next_dagrun_info(
        last_automated_data_interval=last,
        # catchup=True only to make the answer independent of today's date.
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True))
    assert info.data_interval.start == datetime(2026, 2, 1, 6, tzinfo=NY)
    assert info.run_after == datetime(2026, 3, 1, 6, tzinfo=NY)


def test_parse_is_cheap_and_imports_nothing_heavy():
    """Parsing both files must not pull in GX, pandas, DuckDB or the pipeline (docs/architecture.md,
    "Stack facts")."""
    probe = f"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder={str(DAGS_FOLDER)!r})
elapsed = time.perf_counter() - started
print(json.dumps({{
    "errors": {{k: str(v) for k, v in bag.import_errors.items()}},
    "dags": sorted(bag.dag_ids),
    "seconds": elapsed,
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("great_expectations", "pandas", "duckdb")
                    or m in ("compliance.pipeline", "compliance.warehouse")),
}}))
"""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COMPLIANCE_", "AIRFLOW_VAR_COMPLIANCE_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                            timeout=120, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert set(EXPECTED) <= set(report["dags"])
    assert report["heavy"] == [], f"imported at parse time: {report['heavy']}"
    assert not any(m.startswith(FORBIDDEN_AT_PARSE) for m in report["heavy"])
    # Both files together, beyond importing Airflow itself (measured here: ~0.06 s).
    assert report["seconds"] < 2.0, report["seconds"]


@pytest.mark.parametrize("path", sorted(DAGS_FOLDER.glob("*.py")) + [
    REPO_ROOT / "compliance" / name for name in (
        "delivery/alerts.py", "settings.py", "months.py", "dag_defaults.py", "delivery/recipients.py")])
def test_parse_time_modules_stay_thin(path):
    """Module-level imports: no pipeline, no heavy libraries, no ORM (Airflow 3 tasks have no DB)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:  # only module level: imports inside tasks are the point
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            assert not name.startswith(FORBIDDEN_AT_PARSE), f"{path.name}: {name}"
            assert not name.startswith(("airflow.models", "airflow.settings")), f"{path.name}: {name}"
            assert name != "compliance.pipeline" and not name.endswith(".pipeline"), path.name
    assert "Variable.get" not in "".join(
        ast.get_source_segment(path.read_text(encoding="utf-8"), n) or "" for n in tree.body
        if not isinstance(n, (ast.FunctionDef, ast.ClassDef))), "no Variable lookups at parse time"


# --- the notifier -------------------------------------------------------------------------------

def _context(error: BaseException | None = None):
    ti = SimpleNamespace(dag_id="compliance_monthly_report", task_id="run_report",
                         run_id="scheduled__2026-02-01T11:00:00+00:00", try_number=3)
    return {"ti": ti, "run_id": ti.run_id, "exception": error}


def test_notifier_appends_one_line(tmp_path):
    home = tmp_path / "home"
    notifier = ComplianceAlertNotifier(home=home)
    notifier(_context(RuntimeError("warehouse is locked\nby another process")))
    notifier(_context(ValueError("second")))
    lines = (home / ALERTS_FILE).read_text().splitlines()
    assert len(lines) == 2
    first = lines[0]
    assert " FAILED dag=compliance_monthly_report task=run_report " in first
    assert "run=scheduled__2026-02-01T11:00:00+00:00 try=3" in first
    assert first.endswith("error=RuntimeError: warehouse is locked by another process")
    assert stat.S_IMODE((home / ALERTS_FILE).stat().st_mode) == 0o600


def test_notifier_uses_configured_home(tmp_path, monkeypatch):
    monkeypatch.delenv("AIRFLOW_VAR_COMPLIANCE_HOME", raising=False)
    monkeypatch.setenv("COMPLIANCE_HOME", str(tmp_path / "from-env"))
    ComplianceAlertNotifier()(_context(RuntimeError("boom")))
    assert "error=RuntimeError: boom" in (tmp_path / "from-env" / ALERTS_FILE).read_text()


def test_notifier_message_kind(tmp_path):
    ComplianceAlertNotifier(home=tmp_path, kind="STALE", message="stale sources: arrests")(_context())
    line = (tmp_path / ALERTS_FILE).read_text()
    assert " STALE dag=compliance_monthly_report " in line and line.rstrip().endswith(
        "stale sources: arrests")


def test_notifier_never_raises_when_it_cannot_write(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the home should be")
    ComplianceAlertNotifier(home=blocker)(_context(RuntimeError("boom")))  # logged, not raised


def test_describe_without_exception_and_long_text(tmp_path):
    assert describe({}, kind="FAILED").endswith("error=unknown (no exception in the callback context)")
    line = describe(_context(RuntimeError("x" * 5000)))
    assert len(line) <= 1000 and "\n" not in line
    append_alert(tmp_path, "a\nb")
    assert (tmp_path / ALERTS_FILE).read_text() == "a b\n"


def test_notifier_mails_the_data_engineers(tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("COMPLIANCE_ALERT_RECIPIENTS", "data-eng@example.org; oncall@example.org")
    monkeypatch.setenv("COMPLIANCE_SMTP_CONN_ID", SMTP_CONN_ID)
    ComplianceAlertNotifier(home=tmp_path, kind="INCOMPLETE",
                            message="2018-09: pars_db missing 2018-09-03 to 2018-09-05")(_context())
    line = (tmp_path / ALERTS_FILE).read_text().strip()
    [message] = smtp_server.to("data-eng@example.org")
    assert smtp_server.to("oncall@example.org") == [message]
    assert message["Subject"] == "[compliance] INCOMPLETE: compliance_monthly_report run_report"
    body = message.get_body(("html",)).get_content()
    assert html.escape(line) in body


def test_notifier_without_recipients_sends_nothing_and_a_dead_server_loses_no_line(tmp_path, monkeypatch,
                                                                                 smtp_server):
    monkeypatch.delenv("COMPLIANCE_ALERT_RECIPIENTS", raising=False)
    monkeypatch.setenv("COMPLIANCE_SMTP_CONN_ID", SMTP_CONN_ID)
    ComplianceAlertNotifier(home=tmp_path)(_context(RuntimeError("first")))
    assert smtp_server.messages == []
    monkeypatch.setenv("COMPLIANCE_ALERT_RECIPIENTS", "data-eng@example.org")
    monkeypatch.setenv(f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}", smtp_connection(free_port()))  # nobody listens
    ComplianceAlertNotifier(home=tmp_path)(_context(RuntimeError("second")))  # logged, not raised
    assert [line.rsplit(": ", 1)[-1] for line in (tmp_path / ALERTS_FILE).read_text().splitlines()] == [
        "first", "second"]
