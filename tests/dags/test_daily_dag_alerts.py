"""The daily ingest DAG, run for real (`airflow dags test`): a source silent past its window raises
a STALE alert and a file for an already reported month a LATE one, through the notifier."""
from __future__ import annotations

import shutil

import pytest

from compliance import pipeline, warehouse
from compliance.airflow_local import dag_results, explain, run_daily_dag, run_succeeded
from compliance.quality import late
from compliance.quality.reconcile import batch_discrepancies
from compliance.synth import generate

pytestmark = pytest.mark.slow
MONTH = "2016-02"


def test_stale_and_late_sources_alert_through_the_notifier(tmp_path, airflow_home):
    landing = tmp_path / "landing"
    generate(landing, MONTH, MONTH, 1)
    # Arrests and charges stop arriving; the detainers were loaded and the month reported before.
    shutil.rmtree(landing / "arrests")
    shutil.rmtree(landing / "charges")
    home = tmp_path / "home"
    pipeline.ingest_files(home, sorted((landing / "detainers").iterdir()))
    with warehouse.connect(home) as con:
        late.record_report(con, MONTH)

    proc = run_daily_dag(airflow_home, home, landing)
    assert run_succeeded(proc), explain(proc)
    [summary] = dag_results(proc)
    assert summary["late_months"] == [MONTH]

    alerts = (home / "alerts.log").read_text().splitlines()
    assert [line.split()[1] for line in alerts] == ["LATE", "STALE"]
    assert alerts[0].endswith(f"files arrived for months already reported; re-run: {MONTH}")
    assert alerts[1].endswith("stale sources: arrests: no file received yet (window 36 h); "
                              "charges: no file received yet (window 72 h)")
    assert " dag=compliance_daily_ingest task=check_freshness " in alerts[1]
    with warehouse.connect(home, read_only=True) as con:
        assert batch_discrepancies(con) == []
