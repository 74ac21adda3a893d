"""
### compliance_daily_ingest

Every day at 05:30 America/New_York: load the landing folder into the DuckDB warehouse, then
check that every source is fresh.

* **ingest_landing** calls `compliance.pipeline.ingest_landing(home, landing, policy)`. Re-ingesting
  an unchanged file changes nothing, so a retry or a re-run is safe.
  Files with rows for a month that was already reported are loaded too, and raise a `LATE`
  alert naming the months to re-run. A file that cannot be loaded (a 0-byte file still being
  transferred, one that is not text, a missing required column, ...) is refused with its reason
  and raises a `REFUSED` alert; every other file is loaded and the run goes on. A refused file has
  no batch, so the next run tries it again.
* **pull_live_audit** calls `compliance.pipeline.pull_live(home, dsn, table, source_name, ...)` when
  the Airflow connection `compliance_pars_audit` exists (a Postgres connection to the database that
  holds the application audit table; its extra may name `table`, `source_name` and libpq options
  such as `sslmode`), and is skipped when it does not. Only new events are pulled (a watermark in
  the warehouse), so a retry or a re-run is safe.
* **check_freshness** calls `compliance.pipeline.check_freshness(home, policy)`: a landing table
  with no new file for longer than its window (the pack's `freshness_hours`) is stale. Stale
  sources are an *alert* (a `STALE` line in the task log and in `<home>/alerts.log`), not a
  failed run.

Configuration, read when the task runs (Airflow Variable first, environment variable as default):
`compliance_home` / `COMPLIANCE_HOME` (warehouse home), `compliance_landing` /
`COMPLIANCE_LANDING` (landing folder, required), `compliance_policy` / `COMPLIANCE_POLICY`
(policy pack, optional).

Every task opens the warehouse and runs in the pool `compliance_warehouse`, which must exist with
**1 slot** (DuckDB allows one writer process per file):
`airflow pools set compliance_warehouse 1 "DuckDB writer"`.

A task that fails after its retries writes a `FAILED` line to `<home>/alerts.log`.
See `docs/operations.md`.
"""
from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task

from compliance.dag_defaults import RUNS, task_defaults
from compliance.delivery.alerts import ComplianceAlertNotifier
from compliance.settings import SCHEDULE_TZ, WAREHOUSE_POOL

LIVE_AUDIT_CONNECTION = "compliance_pars_audit"
# Connection extras passed on to libpq as they are.
LIBPQ_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name")


@dag(
    dag_id="compliance_daily_ingest",
    schedule=CronDataIntervalTimetable("30 5 * * *", timezone=SCHEDULE_TZ),
    default_args=task_defaults(retry_delay=timedelta(minutes=5), execution_timeout=timedelta(hours=2)),
    **RUNS,
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
        from compliance.settings import resolve_locations

        where = resolve_locations()
        if where.landing is None:
            raise AirflowFailException(
                "no landing folder: set the Airflow Variable compliance_landing or COMPLIANCE_LANDING")
        if not where.landing.is_dir():
            raise AirflowFailException(f"landing folder {where.landing} does not exist")
        home = resolve_home(where.home)

        from compliance import pipeline

        files = pipeline.ingest_landing(home, where.landing, where.policy)
        batches = [f for f in files if f["status"] != "refused"]
        refused = [{"path": f["path"], "reason": f["reason"]} for f in files if f["status"] == "refused"]
        summary = {"home": str(home), "landing": str(where.landing), "batches": len(batches), "refused": refused}
        for key in ("rows_read", "rows_loaded", "rows_quarantined", "rows_ignored"):
            summary[key] = sum(int(b.get(key) or 0) for b in batches)
        summary["late_months"] = sorted({m for b in batches for m in b.get("late_months", [])})
        print("COMPLIANCE_RESULT " + json.dumps(summary, sort_keys=True))
        if summary["late_months"]:
            ComplianceAlertNotifier(home=home, kind="LATE", message=(
                "files arrived for months already reported; re-run: " + ", ".join(summary["late_months"])))(
                get_current_context())
        if summary["refused"]:
            # An alert, not a failed task: the other files are loaded, and the pull and the freshness
            # check still run.
            ComplianceAlertNotifier(home=home, kind="REFUSED", message=(
                f"{len(summary['refused'])} files refused, the others loaded: "
                + "; ".join(f["reason"] for f in summary["refused"])))(get_current_context())
        return summary

    @task(pool=WAREHOUSE_POOL)
    def pull_live_audit() -> dict:
        """Pull new events from the live audit table; skipped when the connection is not configured."""
        import json

        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException, AirflowSkipException
        from psycopg.conninfo import make_conninfo

        from compliance.config import resolve_home
        from compliance.settings import resolve_locations

        try:
            connection = Connection.get(LIVE_AUDIT_CONNECTION)
        except AirflowNotFoundException:
            raise AirflowSkipException(f"no Airflow connection {LIVE_AUDIT_CONNECTION!r}: nothing to pull") from None
        extra = connection.extra_dejson
        fields = {"host": connection.host, "port": connection.port, "user": connection.login,
                  "password": connection.password, "dbname": connection.schema,
                  **{k: extra.get(k) for k in LIBPQ_EXTRAS}}
        dsn = make_conninfo(**{k: str(v) for k, v in fields.items() if v not in (None, "")})
        where = resolve_locations()
        home = resolve_home(where.home)

        from compliance import pipeline

        batches = pipeline.pull_live(home, dsn, extra.get("table"), extra.get("source_name"),
                                     policy_path=where.policy)
        summary = {"home": str(home), "batches": len(batches),
                   "rows_loaded": sum(b["rows_loaded"] for b in batches),
                   "rows_quarantined": sum(b["rows_quarantined"] for b in batches)}
        print("COMPLIANCE_RESULT " + json.dumps(summary, sort_keys=True))
        return summary

    # A skipped pull (no connection configured) must not skip the freshness check.
    @task(pool=WAREHOUSE_POOL, trigger_rule="none_failed")
    def check_freshness(ingested: dict) -> list[str]:
        """Alert (never fail) when sources are stale."""
        from compliance.config import resolve_home
        from compliance.settings import resolve_locations

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

    ingested = ingest_landing()
    ingested >> pull_live_audit() >> check_freshness(ingested)


compliance_daily_ingest()
