"""Calendar months in the policy pack's time zone (DESIGN.md, "Time")."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from compliance.errors import ComplianceError

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[int, int]:
    match = MONTH_PATTERN.match(text or "")
    if not match:
        raise ComplianceError(f"month {text!r} is not YYYY-MM", field="month")
    return int(match.group(1)), int(match.group(2))


def next_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def month_bounds(month: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """[first day 00:00 local, first day of the next month 00:00 local) as aware datetimes."""
    year, mon = parse_month(month)
    start = dt.datetime(year, mon, 1, tzinfo=ZoneInfo(tz))
    nyear, nmon = parse_month(next_month(month))
    return start, dt.datetime(nyear, nmon, 1, tzinfo=ZoneInfo(tz))


def month_range(first: str, last: str) -> list[str]:
    parse_month(first), parse_month(last)
    if first > last:
        raise ComplianceError(f"--from {first} is after --to {last}", field="month")
    months, current = [], first
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def previous_month(when: dt.datetime, tz: str = "America/New_York") -> str:
    """The calendar month before the one containing `when`, in `tz`."""
    local = when.astimezone(ZoneInfo(tz)) if when.tzinfo else when.replace(tzinfo=ZoneInfo(tz))
    year, mon = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year}-{mon:02d}"
