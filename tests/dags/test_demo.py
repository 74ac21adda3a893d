"""`compliance demo` (compliance/demo.py) leaves nothing under its home that others can read: the
generated landing and what its Airflow runs write hold the same personal data as the warehouse.

Airflow's own runs are `tests/dags/test_monthly_dag_run.py`'s business (minutes); here each is a
child process that writes what a run writes, which is what inherits the demo's umask."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from compliance import demo


def child_writes(*paths: Path) -> subprocess.CompletedProcess:
    """A child process, as Airflow is, that makes `paths` (folders for names without a suffix)."""
    script = ("import sys; from pathlib import Path\n"
              "for name in sys.argv[1:]:\n"
              "    path = Path(name)\n"
              "    path.parent.mkdir(parents=True, exist_ok=True)\n"
              "    path.mkdir(exist_ok=True) if not path.suffix else path.write_text('x')\n")
    return subprocess.run([sys.executable, "-c", script, *map(str, paths)], check=True,
                          capture_output=True, text=True)


def test_the_demo_home_is_owner_only_throughout(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)

    def dag_run(result: dict):
        return subprocess.CompletedProcess([], 0, "state=success\nCOMPLIANCE_RESULT " + json.dumps(result), "")

    def daily(airflow_home, compliance_home, landing):
        child_writes(airflow_home / "logs" / "dag_id=compliance_daily_ingest" / "attempt=1.log")
        return dag_run({"batches": 1})

    def monthly(airflow_home, compliance_home, month):
        report = compliance_home / "reports" / month / "v1" / f"ig-report-{month}.html"
        child_writes(airflow_home / "logs" / "dag_id=compliance_monthly_report" / "attempt=1.log", report)
        return dag_run({"flags": 1, "status": "complete", "incomplete": False, "missing_sources": [],
                        "report": str(report)})

    monkeypatch.setattr(demo, "prepare_airflow_home", lambda airflow_home: child_writes(airflow_home / "airflow.db"))
    monkeypatch.setattr(demo, "run_daily_dag", daily)
    monkeypatch.setattr(demo, "run_monthly_dag", monthly)
    old = os.umask(0o022)
    try:
        report = demo.run_demo(home, "2018-08", "2018-08", 1)
    finally:
        os.umask(old)

    assert report.is_file() and (home / "landing" / "labels.jsonl").is_file() and (home / "airflow" / "airflow.db").is_file()
    made = sorted(home.rglob("*"))
    assert len(made) > 10
    assert [(str(path.relative_to(home)), oct(stat.S_IMODE(path.stat().st_mode))) for path in made
            if stat.S_IMODE(path.stat().st_mode) & 0o077] == []
