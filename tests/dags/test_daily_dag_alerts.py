"""The daily ingest DAG, run for real (`airflow dags test`): a source silent past its window raises
a STALE alert, a file for an already reported month a LATE one and a file that cannot be loaded a
REFUSED one, through the notifier; a refused file stops neither the other files nor the run."""
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


def test_stale_late_and_refused_files_alert_through_the_notifier(tmp_path, airflow_home):
    landing = tmp_path / "landing"
    generate(landing, MONTH, MONTH, 1)
    # Arrests and charges stop arriving; the detainers were loaded and the month reported before.
    shutil.rmtree(landing / "arrests")
    shutil.rmtree(landing / "charges")
    home = tmp_path / "home"
    pipeline.ingest_files(home, sorted((landing / "detainers").iterdir()))
    with warehouse.connect(home) as con:
        late.record_report(con, MONTH)
    # The first file of the landing is still being transferred: 0 bytes so far.
    partial = landing / "accounts" / "0-partial.csv"
    partial.write_bytes(b"")
    others = [p for p in landing.glob("*/*") if p.suffix in (".csv", ".jsonl") and p != partial]

    proc = run_daily_dag(airflow_home, home, landing)
    assert run_succeeded(proc), explain(proc)
    [summary] = dag_results(proc)
    assert summary["late_months"] == [MONTH]
    reason = (f"{partial}, line 1: empty file (0 bytes; still being transferred?): nothing was loaded, "
              "ingest it again once it is complete")
    assert summary["refused"] == [{"path": str(partial.resolve()), "reason": reason}]
    assert summary["batches"] == len(others)

    alerts = (home / "alerts.log").read_text().splitlines()
    assert [line.split()[1] for line in alerts] == ["LATE", "REFUSED", "STALE"]
    assert alerts[0].endswith(f"files arrived for months already reported; re-run: {MONTH}")
    assert " dag=compliance_daily_ingest task=ingest_landing " in alerts[1]
    assert alerts[1].endswith(f"1 files refused, the others loaded: {reason}")
    assert alerts[2].endswith("stale sources: arrests: no file received yet (window 36 h); "
                              "charges: no file received yet (window 72 h)")
    assert " dag=compliance_daily_ingest task=check_freshness " in alerts[2]
    with warehouse.connect(home, read_only=True) as con:
        assert batch_discrepancies(con) == []
