"""Which month a monthly run reports on, and where an Airflow run finds its files.

Everything here is cheap to import (standard library only at module level): the DAG files in
`dags/` import this module at parse time, and the DAG processor re-parses them every few seconds.
Airflow itself is imported lazily, inside `resolve_locations`, and only there.

Month choice (`report_month_for`), in order:

1. the `month` param of the run, when given (``YYYY-MM``);
2. otherwise the calendar month, in the report time zone, that contains ``data_interval_start``.
   The monthly DAG uses ``CronDataIntervalTimetable("0 6 1 * *", timezone="America/New_York")``,
   so the run that starts at 2026-03-01 06:00 ET has the interval
   [2026-02-01 06:00 ET, 2026-03-01 06:00 ET) and reports February;
3. when the interval is missing or empty (start == end: a manual run under a trigger timetable,
   or a run triggered without a logical date), the month before ``logical_date`` in that zone.

All datetimes must be timezone-aware; a naive datetime is refused (ValueError) rather than
guessed. A malformed month param raises `ComplianceError`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from compliance.months import parse_month, previous_month

REPORT_TZ = "America/New_York"
# The DAG's `month` Param: empty (derive it) or YYYY-MM.
MONTH_PARAM_PATTERN = r"^$|^\d{4}-(0[1-9]|1[0-2])$"

# Airflow Variable name -> environment variable used as its default.
SETTINGS = {
    "compliance_home": "COMPLIANCE_HOME",
    "compliance_landing": "COMPLIANCE_LANDING",
    "compliance_policy": "COMPLIANCE_POLICY",
}


def _local(value: datetime, tz: str, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(ZoneInfo(tz))


def month_of(when: datetime, tz: str = REPORT_TZ) -> str:
    """``YYYY-MM`` of the calendar month that contains `when` in `tz`."""
    local = _local(when, tz, "when")
    return f"{local.year:04d}-{local.month:02d}"


def month_before(when: datetime, tz: str = REPORT_TZ) -> str:
    """``YYYY-MM`` of the calendar month before the one containing `when` in `tz`."""
    return previous_month(_local(when, tz, "when"), tz)


def report_month_for(data_interval_start: datetime | None, data_interval_end: datetime | None,
                     logical_date: datetime | None, param: str | None,
                     tz: str = REPORT_TZ) -> str:
    """The ``YYYY-MM`` a monthly run reports on (see the module docstring for the order)."""
    if param is not None and str(param).strip():
        month = str(param).strip()
        parse_month(month)  # ComplianceError unless YYYY-MM
        return month
    interval_empty = (data_interval_start is None or data_interval_end is None
                      or data_interval_start == data_interval_end)
    if not interval_empty:
        return month_of(data_interval_start, tz)
    if logical_date is None:
        raise ValueError("no month param, no data interval and no logical date: "
                         "pass the run's logical_date (or run_after) to choose a month")
    return month_before(logical_date, tz)


@dataclass(frozen=True)
class Locations:
    """Plain values a DAG task hands to `compliance.pipeline`."""

    home: Path | None
    landing: Path | None
    policy: Path | None


def setting(variable: str, env: str) -> str | None:
    """Airflow Variable `variable` if set, else environment variable `env`, else None.

    Only call this at run time (inside a task or a callback), never at DAG parse time: a Variable
    lookup at parse time costs a round trip on every parse of the file.
    """
    default = os.environ.get(env) or None
    try:
        from airflow.sdk import Variable

        value = Variable.get(variable, default=default)
    except Exception:  # outside a task (unit tests, the CLI) there is nothing to ask
        value = default
    value = str(value).strip() if value is not None else ""
    return value or None


def resolve_locations() -> Locations:
    """Warehouse home, landing folder and policy pack for this run (Variables win over env)."""
    values = {variable: setting(variable, env) for variable, env in SETTINGS.items()}

    def path(key: str) -> Path | None:
        return Path(values[key]).expanduser() if values[key] else None

    return Locations(home=path("compliance_home"), landing=path("compliance_landing"),
                     policy=path("compliance_policy"))
