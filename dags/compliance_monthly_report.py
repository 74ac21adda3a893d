"""
### compliance_monthly_report

On the 1st of every month at 06:00 America/New_York: validate, evaluate the policy rules and
build the report for **the previous calendar month**.

The schedule is `CronDataIntervalTimetable("0 6 1 * *", timezone="America/New_York")`, so the run
that starts at 2026-03-01 06:00 ET has the data interval [2026-02-01 06:00, 2026-03-01 06:00) and
reports `2026-02`. (A plain cron string would give an empty interval in Airflow 3.)

* **choose_month**: the `month` param (`YYYY-MM`) when given; otherwise the month containing the
  start of the data interval in America/New_York; for a run without an interval, the month
  before its logical date (`compliance.months.report_month_for`).
* **run_report** calls `compliance.pipeline.run_month(home, month, policy)`. A month whose
  blocking checks failed, or a source the pack's `report_sources` lists missed expected days, is
  still reported, marked INCOMPLETE, and raises an `INCOMPLETE` alert naming what is missing; a
  month with no data at all is marked NO DATA and raises a `NO_DATA` alert. The run succeeds.
* **deliver_reports** e-mails the note to IG staff at once, and the committee summary once the
  version is signed off (`compliance.pipeline.deliver`), through the SMTP connection
  `compliance_smtp_conn_id` (default `smtp_default`), to the addresses in the Variables
  `compliance_committee_recipients` and `compliance_ig_recipients`. An INCOMPLETE or NO DATA month
  is not sent to the committee. With no recipients configured the task is skipped. It reads the
  report folder only, so it runs outside the warehouse pool.
* **await_signoff** waits for an approver to sign the version off (`compliance signoff`, or the
  review app): a sensor in reschedule mode, which holds no worker slot between looks (every
  `COMPLIANCE_SIGNOFF_POKE_SECONDS`, default 15 minutes). After `COMPLIANCE_SIGNOFF_TIMEOUT_HOURS`
  (default 20 days) it fails and writes a `SIGNOFF_OVERDUE` alert. A withheld month waits for none.
* **deliver_after_signoff** runs the same delivery again: the committee summary's signed-off
  edition goes out; the IG note, already sent, is not sent twice.

Re-run a month by hand: trigger with conf `{"month": "2026-02"}`, or locally
`airflow dags test compliance_monthly_report -c '{"month": "2026-02"}'`.

Configuration, read when the task runs (Airflow Variable first, environment variable as default):
`compliance_home` / `COMPLIANCE_HOME`, `compliance_policy` / `COMPLIANCE_POLICY` (optional).
`run_report` runs in the pool `compliance_warehouse` (**1 slot**; create it with
`airflow pools set compliance_warehouse 1 "DuckDB writer"`). A task that fails after its retries
writes a `FAILED` line to `<home>/alerts.log`. See `docs/operations.md`.
"""
from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task

from compliance.dag_defaults import RUNS, task_defaults
from compliance.delivery.alerts import ComplianceAlertNotifier
from compliance.months import MONTH_PARAM_PATTERN
from compliance.settings import SCHEDULE_TZ, SIGNOFF_POKE_SECONDS, SIGNOFF_TIMEOUT_HOURS, WAREHOUSE_POOL


@dag(
    dag_id="compliance_monthly_report",
    schedule=CronDataIntervalTimetable("0 6 1 * *", timezone=SCHEDULE_TZ),
    default_args=task_defaults(retry_delay=timedelta(minutes=10), execution_timeout=timedelta(hours=4)),
    # A month waits for its sign-off for up to 20 days: runs of other months (re-runs of late
    # data) must not queue behind it. The warehouse pool still lets one task write at a time.
    **{**RUNS, "max_active_runs": 3},
    params={
        "month": Param(
            "",
            type="string",
            pattern=MONTH_PARAM_PATTERN,
            title="Month to report (YYYY-MM)",
            description="Empty: the month of the data interval, i.e. the month before the run.",
        ),
    },
    tags=["compliance", "report", "monthly", "duckdb"],
    doc_md=__doc__,
)
def compliance_monthly_report():

    @task
    def choose_month() -> str:
        from compliance.months import report_month_for

        context = get_current_context()
        dag_run = context.get("dag_run")
        # Airflow 3 runs triggered without a logical date have none: fall back to run_after.
        logical_date = context.get("logical_date") or getattr(dag_run, "run_after", None)
        month = report_month_for(
            context.get("data_interval_start"),
            context.get("data_interval_end"),
            logical_date,
            (context.get("params") or {}).get("month"),
            SCHEDULE_TZ,
        )
        print(f"reporting month {month} (interval {context.get('data_interval_start')} -> "
              f"{context.get('data_interval_end')}, logical date {logical_date})")
        return month

    @task(pool=WAREHOUSE_POOL)
    def run_report(month: str) -> dict:
        import json

        from compliance.config import resolve_home
        from compliance.settings import resolve_locations

        where = resolve_locations()
        home = resolve_home(where.home)

        from compliance import pipeline

        result = pipeline.run_month(home, month, where.policy)
        # XCom must be JSON-safe: paths and timestamps become strings.
        result = json.loads(json.dumps(result, default=str))
        # One parseable line for people and for tests/dags/test_monthly_dag_run.py.
        print("COMPLIANCE_RESULT " + json.dumps(result, sort_keys=True))
        if result.get("incomplete"):
            missing = "; ".join(result.get("missing_sources") or [])
            ComplianceAlertNotifier(
                home=home, kind=result["status"].replace(" ", "_"),
                message=(f"month={month} blocking_failures={result.get('blocking_failures')} "
                         + (f"missing=[{missing}] " if missing else "") + f"report={result.get('report')}"),
            )(get_current_context())
        return result

    @task
    def deliver_reports(result: dict) -> dict:
        import json

        from airflow.sdk.exceptions import AirflowSkipException

        from compliance.config import resolve_home
        from compliance.delivery.recipients import resolve_delivery
        from compliance.settings import resolve_locations

        settings = resolve_delivery()
        if not settings.configured:
            raise AirflowSkipException("no recipients configured: set the Variables "
                                       "compliance_committee_recipients and compliance_ig_recipients")

        from compliance import pipeline

        outcome = pipeline.deliver(
            resolve_home(resolve_locations().home), result["month"], version=result["report_version"],
            committee_to=settings.committee_to, ig_to=settings.ig_to, smtp_conn_id=settings.smtp_conn_id)
        print("COMPLIANCE_DELIVERY " + json.dumps(outcome, sort_keys=True))
        return outcome

    @task.sensor(mode="reschedule", poke_interval=SIGNOFF_POKE_SECONDS,
                 timeout=timedelta(hours=SIGNOFF_TIMEOUT_HOURS).total_seconds(), retries=0,
                 on_failure_callback=ComplianceAlertNotifier(
                     kind="SIGNOFF_OVERDUE",
                     message="the month's report version was not signed off in time: the committee "
                             "summary is not sent (compliance signoff --month YYYY-MM --by NAME)"))
    def await_signoff(result: dict):
        from airflow.sdk import PokeReturnValue

        from compliance import pipeline
        from compliance.config import resolve_home
        from compliance.settings import resolve_locations

        if result.get("incomplete"):  # never sent to the committee: nothing to sign off for
            return PokeReturnValue(is_done=True, xcom_value=None)
        done = pipeline.signed_off(resolve_home(resolve_locations().home), result["month"],
                                   result["report_version"])
        print(f"{result['month']} {result['report_version']}: "
              + (f"signed off by {done['signed_by']} at {done['signed_at']}" if done else "awaiting sign-off"))
        return PokeReturnValue(is_done=done is not None, xcom_value=done)

    result = run_report(choose_month())
    deliver_reports(result) >> await_signoff(result) >> deliver_reports.override(task_id="deliver_after_signoff")(result)


compliance_monthly_report()
