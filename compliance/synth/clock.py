"""Time for the generator: the pack's zone, US federal holidays, policy versions, DHS form eras.

Months come from compliance.months (plain stdlib too). Local wall times are built in America/New_York and normalised
through UTC, so a wall time that does not exist (the spring-forward hour) moves forward and every
written offset is the real one.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from compliance.months import month_days

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
UTC = timezone.utc


def local(d: date, hh: int = 0, mi: int = 0, ss: int = 0) -> datetime:
    """The instant (a UTC datetime) of a local wall time; a wall time that does not exist (the
    spring-forward hour) moves forward. Instants stay in UTC so that adding a timedelta adds real
    elapsed time, never wall-clock time."""
    return datetime(d.year, d.month, d.day, hh, mi, ss, tzinfo=TZ).astimezone(UTC)


def at(y: int, m: int, d: int, hh: int = 0, mi: int = 0, ss: int = 0) -> datetime:
    return local(date(y, m, d), hh, mi, ss)


def iso(dt: datetime) -> str:
    """ISO 8601 with the local UTC offset, seconds precision: 2016-03-04T14:05:00-05:00."""
    return dt.astimezone(TZ).replace(microsecond=0).isoformat()


def localdate(dt: datetime) -> date:
    return dt.astimezone(TZ).date()


def localtime(dt: datetime) -> datetime:
    return dt.astimezone(TZ)


# --- US federal holidays (OPM rules, observed dates) ---------------------------------------------

def _nth_weekday(y: int, m: int, weekday: int, n: int) -> date:
    first = date(y, m, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(y: int, m: int, weekday: int) -> date:
    last = month_days(f"{y:04d}-{m:02d}")[-1]
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


@lru_cache(maxsize=None)
def federal_holidays(y: int) -> frozenset[date]:
    """Observed US federal holidays falling in year y (New Year's Day of y+1 observed on Dec 31)."""
    fixed = [date(y, 1, 1), date(y, 7, 4), date(y, 11, 11), date(y, 12, 25), date(y + 1, 1, 1)]
    if y >= 2021:
        fixed.append(date(y, 6, 19))
    days = {_observed(d) for d in fixed}
    days |= {
        _nth_weekday(y, 1, 0, 3),   # Birthday of Martin Luther King, Jr.
        _nth_weekday(y, 2, 0, 3),   # Washington's Birthday
        _last_weekday(y, 5, 0),     # Memorial Day
        _nth_weekday(y, 9, 0, 1),   # Labor Day
        _nth_weekday(y, 10, 0, 2),  # Columbus Day
        _nth_weekday(y, 11, 3, 4),  # Thanksgiving Day
    }
    return frozenset(d for d in days if d.year == y)


def is_business_day(d: date) -> bool:
    return d.weekday() < 5 and d not in federal_holidays(d.year)


def business_hours(start: datetime, end: datetime,
                   excluded: tuple[tuple[datetime, datetime], ...] = ()) -> float:
    """Hours in [start, end) on local business days (8 C.F.R. § 287.7(d) calendar), minus the
    excluded intervals (e.g. other_hold_start .. other_hold_end)."""
    if end <= start:
        return 0.0
    total = 0.0
    d, last = localdate(start), localdate(end)
    while d <= last:
        if is_business_day(d):
            a, b = max(start, local(d)), min(end, local(d + timedelta(days=1)))
            if b > a:
                seconds = (b - a).total_seconds()
                for xs, xe in excluded:
                    lo, hi = max(a, xs), min(b, xe)
                    if hi > lo:
                        seconds -= (hi - lo).total_seconds()
                total += seconds
        d += timedelta(days=1)
    return total / 3600.0


# --- policy facts the generator plants around (policies/philadelphia.yaml, docs/policy-packs.md) --

EO_1_14 = at(2014, 4, 16)          # Executive Order No. 1-14
DEC_2015 = at(2015, 12, 22)        # Nutter's December 2015 order
EO_5_16 = at(2016, 1, 4)           # Executive Order No. 5-16
ICE_CUTOFF = at(2018, 9, 1)        # PARS agreement with ICE ended with 2018-08-31
PEP_FORMS = at(2015, 7, 1)         # I-247D/N/X ("mid-2015"; design choice: 2015-07-01)
I247A_FORMS = at(2017, 4, 2)       # ICE Policy 10074.2


def policy_version(dt: datetime) -> str:
    if dt < EO_1_14:
        return "none"
    if dt < DEC_2015:
        return "eo-1-14"
    if dt < EO_5_16:
        return "dec-2015"
    return "eo-5-16"


def restricted(dt: datetime) -> bool:
    return policy_version(dt) != "none"


def form_era(dt: datetime) -> str:
    if dt < PEP_FORMS:
        return "legacy"
    if dt < I247A_FORMS:
        return "pep"
    return "i247a"
