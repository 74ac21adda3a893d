"""What both DAGs share: how their tasks retry and alert, and how runs are created.

Imported by the DAG files at parse time: standard library and `airflow.sdk` (through the notifier)
only.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from compliance.delivery.alerts import ComplianceAlertNotifier
from compliance.settings import SCHEDULE_TZ

RUNS = {
    # Far back on purpose: a run whose logical date is before start_date is created with no tasks
    # and still "succeeds" (seen with `airflow dags test`), so an old month could not be re-run by
    # logical date. catchup=False keeps the scheduler from creating the missed runs.
    "start_date": datetime(2000, 1, 1, tzinfo=ZoneInfo(SCHEDULE_TZ)),
    "catchup": False,
    "max_active_runs": 1,
}


def task_defaults(retry_delay: timedelta, execution_timeout: timedelta) -> dict:
    """`default_args`: two retries, then a FAILED line in `<home>/alerts.log`."""
    return {
        "owner": "compliance",
        "retries": 2,
        "retry_delay": retry_delay,
        "execution_timeout": execution_timeout,
        "on_failure_callback": ComplianceAlertNotifier(),
    }
