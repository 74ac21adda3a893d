"""
### compliance_daily_ingest

Every day at 05:30 America/New_York: load the landing folder into the DuckDB warehouse, then
check that every source is fresh.

* **ingest_landing** calls `compliance.pipeline.ingest_landing(home, landing, policy)`. Re-ingesting
  an unchanged file changes nothing, so a retry or a re-run is safe.
* **check_freshness** calls `compliance.pipeline.check_freshness(home, policy)`. Stale sources are
  an *alert* (a `STALE` line in the task log and in `<home>/alerts.log`), not a failed run.

Configuration, read when the task runs (Airflow Variable first, environment variable as default):
`compliance_home` / `COMPLIANCE_HOME` (warehouse home), `compliance_landing` /
`COMPLIANCE_LANDING` (landing folder, required), `compliance_policy` / `COMPLIANCE_POLICY`
(policy pack, optional).

Both tasks open the warehouse and run in the pool `compliance_warehouse`, which must exist with
**1 slot** (DuckDB allows one writer process per file):
`airflow pools set compliance_warehouse 1 "DuckDB writer"`.

A task that fails after its retries writes a `FAILED` line to `<home>/alerts.log`.
See `docs/operations.md`.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task

from compliance.notify import ComplianceAlertNotifier

TZ = "America/New_York"
WAREHOUSE_POOL = "compliance_warehouse"

default_args = {
    "owner": "compliance",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "execution_timeout": timedelta(hours=2),
    "on_failure_callback": ComplianceAlertNotifier(),
}


@dag(
    dag_id="compliance_daily_ingest",
    schedule=CronDataIntervalTimetable("30 5 * * *", timezone=TZ),
    # Far back on purpose: a run whose logical date is before start_date is created with no tasks
    # and still "succeeds" (seen with `airflow dags test`). catchup=False keeps the scheduler from
    # creating the missed runs.
    start_date=datetime(2000, 1, 1, tzinfo=ZoneInfo(TZ)),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["compliance", "ingest", "duckdb"],
    doc_md=__doc__,
)
def compliance_daily_ingest():

    @task(pool=WAREHOUSE_POOL)
    def ingest_landing() -> dict:
        """Load the canonical landing folder; return a JSON-safe summary of the batches."""
        import json

        from airflow.sdk.exceptions import AirflowFailException

        from compliance.config import resolve_home
        from compliance.schedule import resolve_locations

        where = resolve_locations()
        if where.landing is None:
            raise AirflowFailException(
                "no landing folder: set the Airflow Variable compliance_landing or COMPLIANCE_LANDING")
        if not where.landing.is_dir():
            raise AirflowFailException(f"landing folder {where.landing} does not exist")
        home = resolve_home(where.home)

        from compliance import pipeline

        batches = pipeline.ingest_landing(home, where.landing, where.policy)
        summary = {"home": str(home), "landing": str(where.landing), "batches": len(batches)}
        for key in ("rows_read", "rows_loaded", "rows_quarantined", "rows_ignored"):
            summary[key] = sum(int(b.get(key) or 0) for b in batches if isinstance(b, dict))
        print("COMPLIANCE_RESULT " + json.dumps(summary, sort_keys=True))
        return summary

    @task(pool=WAREHOUSE_POOL)
    def check_freshness(ingested: dict) -> list[str]:
        """Alert (never fail) when sources are stale."""
        from compliance.config import resolve_home
        from compliance.schedule import resolve_locations

        where = resolve_locations()
        home = resolve_home(ingested.get("home") or where.home)

        from compliance import pipeline

        stale = [str(name) for name in pipeline.check_freshness(home, where.policy)]
        if stale:
            ComplianceAlertNotifier(home=home, kind="STALE",
                                    message="stale sources: " + "; ".join(stale))(
                get_current_context())
        else:
            print("all sources fresh")
        return stale

    check_freshness(ingest_landing())


compliance_daily_ingest()
