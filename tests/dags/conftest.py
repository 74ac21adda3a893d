"""Keep every DAG test away from a user's real Airflow.

Airflow reads AIRFLOW_HOME and its config when it is first imported, so this runs at conftest import
time, before any test module imports Airflow: a throw-away AIRFLOW_HOME (removed at exit), this
checkout's `dags/` folder and no example DAGs. Nothing here creates a metadata database; the DagBag
tests need none, and the slow `airflow dags test` runs build their own (see test_monthly_dag_run).
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO_ROOT / "dags"

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="compliance-airflow-home-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)

os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
