"""Month helpers, and which month the monthly DAG reports on (`compliance.months`).

The intervals below are the ones Airflow's CronDataIntervalTimetable("0 6 1 * *",
America/New_York) produces; tests/dags/test_dag_integrity.py checks them against the real
timetable. America/New_York in 2026: DST starts 2026-03-08 02:00, ends 2026-11-01 02:00.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from compliance import months
from compliance.errors import ComplianceError
from compliance.months import MONTH_PARAM_PATTERN, month_containing, previous_month

SCHEDULE_TZ = "America/New_York"

NY = ZoneInfo(SCHEDULE_TZ)
UTC = timezone.utc


def report_month_for(start, end, logical, param, tz=SCHEDULE_TZ):
    return months.report_month_for(start, end, logical, param, tz)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- scheduled runs: the month containing data_interval_start in New York ------------------------

@pytest.mark.parametrize("start, end, logical, expected", [
    # run at 2026-03-01 06:00 EST covers February (logical_date == interval start for scheduled runs)
    (ny(2026, 2, 1, 6), ny(2026, 3, 1, 6), ny(2026, 2, 1, 6), "2026-02"),
    # the same instants written in UTC (how Airflow hands them to a task)
    (utc(2026, 2, 1, 11), utc(2026, 3, 1, 11), utc(2026, 2, 1, 11), "2026-02"),
    # interval spanning the DST start: 06:00 EST (11:00Z) -> 06:00 EDT (10:00Z)
    (utc(2026, 3, 1, 11), utc(2026, 4, 1, 10), utc(2026, 3, 1, 11), "2026-03"),
    # run on 2026-11-01 06:00 EST, the DST end day: interval 06:00 EDT (10:00Z) -> 06:00 EST (11:00Z)
    (utc(2026, 10, 1, 10), utc(2026, 11, 1, 11), utc(2026, 10, 1, 10), "2026-10"),
    # the interval that starts on the DST end day
    (utc(2026, 11, 1, 11), utc(2026, 12, 1, 11), utc(2026, 11, 1, 11), "2026-11"),
    # run on 2026-01-01 06:00 covers December of the previous year
    (ny(2025, 12, 1, 6), ny(2026, 1, 1, 6), ny(2025, 12, 1, 6), "2025-12"),
])
def test_scheduled_run_reports_interval_month(start, end, logical, expected):
    assert report_month_for(start, end, logical, "") == expected
    assert report_month_for(start, end, logical, None) == expected


def test_interval_start_is_judged_in_new_york_not_utc():
    # 2026-11-01T00:00Z is still 2026-10-31 20:00 EDT: the month is October.
    assert report_month_for(utc(2026, 11, 1), utc(2026, 12, 1), utc(2026, 11, 1), "") == "2026-10"
    assert report_month_for(utc(2026, 11, 1), utc(2026, 12, 1), utc(2026, 11, 1), "", tz="UTC") == "2026-11"


def test_manual_run_with_inferred_interval_uses_interval():
    # Airflow infers the last complete interval for a manual run with a logical date: a run on
    # 2026-03-15 gets [Feb 1 06:00, Mar 1 06:00), whatever its logical date says.
    assert report_month_for(ny(2026, 2, 1, 6), ny(2026, 3, 1, 6), ny(2026, 3, 15, 9), "") == "2026-02"


# --- manual runs with no interval: the month before logical_date in New York --------------------

@pytest.mark.parametrize("logical, expected", [
    (utc(2026, 1, 1, 15), "2025-12"),          # Jan 1 -> previous December
    (ny(2026, 1, 1, 0, 0), "2025-12"),         # first instant of the year in New York
    (utc(2026, 1, 1, 3), "2025-11"),           # 2026-01-01T03:00Z is Dec 31 22:00 EST
    (utc(2026, 3, 1, 4, 59), "2026-01"),       # Feb 28 23:59 EST
    (utc(2026, 3, 1, 5, 0), "2026-02"),        # Mar 1 00:00 EST
    (utc(2026, 3, 8, 7, 30), "2026-02"),       # 03:30 EDT, just after the spring-forward gap
    (utc(2026, 11, 1, 5, 30), "2026-10"),      # 01:30 EDT, first pass of the repeated hour
    (utc(2026, 11, 1, 6, 30), "2026-10"),      # 01:30 EST, second pass
    (utc(2026, 12, 1, 4, 59), "2026-10"),      # Nov 30 23:59 EST
    (utc(2026, 12, 1, 5, 0), "2026-11"),       # Dec 1 00:00 EST
])
def test_manual_run_without_interval_reports_previous_month(logical, expected):
    assert report_month_for(logical, logical, logical, "") == expected       # zero-length interval
    assert report_month_for(None, None, logical, "") == expected             # no interval at all
    assert report_month_for(logical, None, logical, None) == expected        # half an interval
    assert previous_month(month_containing(logical, SCHEDULE_TZ)) == expected


def test_zero_length_interval_is_not_the_interval_month():
    # A trigger timetable gives start == end == logical date: that is no interval, so the
    # month before the run is reported, not the month of the run.
    at = ny(2026, 3, 1, 6)
    assert report_month_for(at, at, at, "") == "2026-02"
    assert report_month_for(at, at + timedelta(seconds=1), at, "") == "2026-03"


# --- the month param ------------------------------------------------------------------------------

def test_param_wins_over_interval_and_logical_date():
    assert report_month_for(ny(2026, 2, 1, 6), ny(2026, 3, 1, 6), ny(2026, 2, 1, 6), "2016-02") == "2016-02"
    assert report_month_for(None, None, None, "2016-02") == "2016-02"


# Texts that look like a month to a pattern with `$` or `\d`, or to a reader that strips.
NOT_MONTHS = ["2018-08\n", "\n", "2018-08\r\n", "\uff12\uff10\uff11\uff18-08", "2018-\uff10\uff18",
              "\u0662\u0660\u0661\u0668-08", " 2016-02 ", " 2016-02", "2016-02 ", " ", "2016-02\x00"]


@pytest.mark.parametrize("bad", ["2016-13", "2016-2", "Feb 2016", "2016-02-01", "16-02", "2016-00", *NOT_MONTHS])
def test_bad_param_is_refused(bad):
    with pytest.raises(ComplianceError):
        report_month_for(ny(2026, 2, 1, 6), ny(2026, 3, 1, 6), ny(2026, 2, 1, 6), bad)


@pytest.mark.parametrize("value, ok", [
    ("", True), ("2016-02", True), ("2026-12", True),
    ("2016-13", False), ("2016-2", False), (" 2016-02", False), ("2016-02x", False), ("x2016-02", False),
    *[(bad, False) for bad in NOT_MONTHS],
])
def test_param_pattern(value, ok):
    # JSON Schema `pattern` is a search, not a full match: the pattern must anchor itself.
    assert (re.search(MONTH_PARAM_PATTERN, value) is not None) is ok


@pytest.mark.parametrize("value", ["2016-02", "0001-01", "9999-12", "2016-00", "2016-1", "20166-01",
                                   "2016-02-01", "", *NOT_MONTHS])
def test_param_pattern_and_parser_agree(value):
    """One parser: the DAG's Param accepts exactly what `parse_month` reads, plus empty."""
    try:
        months.parse_month(value)
        parsed = True
    except ComplianceError:
        parsed = False
    assert (re.search(MONTH_PARAM_PATTERN, value) is not None) is (parsed or value == "")


# --- refusals -------------------------------------------------------------------------------------

def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        report_month_for(datetime(2026, 2, 1, 6), datetime(2026, 3, 1, 6), None, "")
    with pytest.raises(ValueError, match="timezone-aware"):
        report_month_for(None, None, datetime(2026, 3, 1), "")
    with pytest.raises(ValueError, match="timezone-aware"):
        month_containing(datetime(2026, 3, 1), SCHEDULE_TZ)


def test_nothing_to_go_on_is_an_error():
    with pytest.raises(ValueError, match="logical_date"):
        report_month_for(None, None, None, "")


# --- the month helpers ----------------------------------------------------------------------------

def test_previous_and_next_month_cross_the_year():
    assert months.previous_month("2026-01") == "2025-12"
    assert months.next_month("2025-12") == "2026-01"
    assert months.previous_month(months.next_month("2018-08")) == "2018-08"


def test_trailing_months_end_with_the_month():
    assert months.trailing_months("2018-02", 3) == ["2017-12", "2018-01", "2018-02"]
    assert months.month_range("2017-12", "2018-02") == months.trailing_months("2018-02", 3)


def test_month_days_and_bounds_are_local():
    assert len(months.month_days("2024-02")) == 29
    start, end = months.month_bounds("2026-03", SCHEDULE_TZ)
    assert (start.isoformat(), end.isoformat()) == ("2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00")
    start, end = months.month_bounds("2026-12", SCHEDULE_TZ)
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00-05:00", "2027-01-01T00:00:00-05:00")


@pytest.mark.parametrize("bad", ["2016-13", "2016-2", "", "2016-02-01", "2018-08\n", "\uff12\uff10\uff11\uff18-08", None])
def test_month_helpers_refuse_what_is_not_a_month(bad):
    with pytest.raises(ComplianceError):
        months.previous_month(bad)

