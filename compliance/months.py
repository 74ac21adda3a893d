"""Calendar months, the one home of every month helper (docs/architecture.md, "Time").

A month is always the text ``YYYY-MM``; its bounds are local midnights in a named time zone (the
policy pack's), as aware datetimes. Standard library only: the DAG files import this module at
parse time.

Which month a monthly run reports on (`report_month_for`), in order:

1. the `month` param of the run, when given (``YYYY-MM`` exactly, as `parse_month` reads it: the
   Param's pattern, `MONTH_PARAM_PATTERN`, is built from the same text);
2. otherwise the calendar month, in the report time zone, that contains ``data_interval_start``.
   The monthly DAG uses ``CronDataIntervalTimetable("0 6 1 * *", timezone="America/New_York")``,
   so the run that starts at 2026-03-01 06:00 ET has the interval
   [2026-02-01 06:00 ET, 2026-03-01 06:00 ET) and reports February;
3. when the interval is missing or empty (start == end: a manual run under a trigger timetable,
   or a run triggered without a logical date), the month before ``logical_date`` in that zone.

All datetimes must be timezone-aware; a naive datetime is refused (ValueError) rather than
guessed. A malformed month raises `ComplianceError`.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from compliance.errors import ComplianceError

# The one definition of a month's text, matched whole: ASCII digits only (`\d` would take any
# script's digits).
MONTH_TEXT = r"([0-9]{4})-(0[1-9]|1[0-2])"
MONTH_PATTERN = re.compile(MONTH_TEXT)
# The monthly DAG's `month` Param, the same text or empty (derive it). JSON Schema's `pattern` is a
# search (Python's `re.search` in the task, ECMA-262 in the UI), so it anchors itself: `^` at the
# start and `(?![\s\S])` at the very end, where `$` would also match before a final newline.
MONTH_PARAM_PATTERN = rf"^(?:{MONTH_TEXT})?(?![\s\S])"


def parse_month(text: str) -> tuple[int, int]:
    """(year, month) of ``YYYY-MM``; anything else is a ComplianceError."""
    match = MONTH_PATTERN.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ComplianceError(f"month {text!r} is not YYYY-MM", field="month")
    return int(match.group(1)), int(match.group(2))


def _format(year: int, mon: int) -> str:
    return f"{year:04d}-{mon:02d}"


def next_month(month: str) -> str:
    year, mon = parse_month(month)
    return _format(year + mon // 12, mon % 12 + 1)


def previous_month(month: str) -> str:
    year, mon = parse_month(month)
    return _format(year - 1, 12) if mon == 1 else _format(year, mon - 1)


def month_bounds(month: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """[first day 00:00 local, first day of the next month 00:00 local) as aware datetimes."""
    year, mon = parse_month(month)
    nyear, nmon = parse_month(next_month(month))
    return dt.datetime(year, mon, 1, tzinfo=ZoneInfo(tz)), dt.datetime(nyear, nmon, 1, tzinfo=ZoneInfo(tz))


def month_days(month: str) -> list[dt.date]:
    """Every calendar day of the month."""
    year, mon = parse_month(month)
    nyear, nmon = parse_month(next_month(month))
    first, after = dt.date(year, mon, 1), dt.date(nyear, nmon, 1)
    return [first + dt.timedelta(days=n) for n in range((after - first).days)]


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    parse_month(first), parse_month(last)
    if first > last:
        raise ComplianceError(f"--from {first} is after --to {last}", field="month")
    months, current = [], first
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def trailing_months(month: str, count: int) -> list[str]:
    """The `count` months ending with `month`, oldest first."""
    months = [month]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


def month_containing(when: dt.datetime, tz: str) -> str:
    """``YYYY-MM`` of the calendar month that contains the aware instant `when` in `tz`."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"when must be timezone-aware, got naive {when.isoformat()}")
    local = when.astimezone(ZoneInfo(tz))
    return _format(local.year, local.month)


def report_month_for(data_interval_start: dt.datetime | None, data_interval_end: dt.datetime | None,
                     logical_date: dt.datetime | None, param: str | None, tz: str) -> str:
    """The ``YYYY-MM`` a monthly run reports on (see the module docstring for the order)."""
    if param is not None and param != "":
        parse_month(param)
        return param
    interval_empty = (data_interval_start is None or data_interval_end is None
                      or data_interval_start == data_interval_end)
    if not interval_empty:
        return month_containing(data_interval_start, tz)
    if logical_date is None:
        raise ValueError("no month param, no data interval and no logical date: "
                         "pass the run's logical_date (or run_after) to choose a month")
    return previous_month(month_containing(logical_date, tz))
