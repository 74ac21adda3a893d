"""Which month the monthly DAG reports on (`compliance.schedule.report_month_for`).

The intervals below are the ones Airflow's CronDataIntervalTimetable("0 6 1 * *",
America/New_York) produces; tests/dags/test_dag_integrity.py checks them against the real
timetable. America/New_York in 2026: DST starts 2026-03-08 02:00, ends 2026-11-01 02:00.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from compliance.errors import ComplianceError
from compliance.months import previous_month
from compliance.schedule import (
    MONTH_PARAM_PATTERN,
    month_before,
    month_of,
    report_month_for,
    resolve_locations,
)

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


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
    assert month_before(logical) == expected == previous_month(logical)


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
    assert report_month_for(None, None, None, " 2016-02 ") == "2016-02"


@pytest.mark.parametrize("bad", ["2016-13", "2016-2", "Feb 2016", "2016-02-01", "16-02", "2016-00"])
def test_bad_param_is_refused(bad):
    with pytest.raises(ComplianceError):
        report_month_for(ny(2026, 2, 1, 6), ny(2026, 3, 1, 6), ny(2026, 2, 1, 6), bad)


@pytest.mark.parametrize("value, ok", [
    ("", True), ("2016-02", True), ("2026-12", True),
    ("2016-13", False), ("2016-2", False), (" 2016-02", False), ("2016-02x", False), ("x2016-02", False),
])
def test_param_pattern(value, ok):
    # JSON Schema `pattern` is a search, not a full match: the pattern must anchor itself.
    assert (re.search(MONTH_PARAM_PATTERN, value) is not None) is ok


# --- refusals -------------------------------------------------------------------------------------

def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        report_month_for(datetime(2026, 2, 1, 6), datetime(2026, 3, 1, 6), None, "")
    with pytest.raises(ValueError, match="timezone-aware"):
        report_month_for(None, None, datetime(2026, 3, 1), "")
    with pytest.raises(ValueError, match="timezone-aware"):
        month_of(datetime(2026, 3, 1))


def test_nothing_to_go_on_is_an_error():
    with pytest.raises(ValueError, match="logical_date"):
        report_month_for(None, None, None, "")


# --- where a run finds its files ------------------------------------------------------------------

@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    # Variable.get may import Airflow: keep it off any real AIRFLOW_HOME.
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow-home"))
    for name in ("COMPLIANCE_HOME", "COMPLIANCE_LANDING", "COMPLIANCE_POLICY",
                 "AIRFLOW_VAR_COMPLIANCE_HOME", "AIRFLOW_VAR_COMPLIANCE_LANDING",
                 "AIRFLOW_VAR_COMPLIANCE_POLICY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_locations_from_environment(clean_env, tmp_path):
    clean_env.setenv("COMPLIANCE_HOME", str(tmp_path / "home"))
    clean_env.setenv("COMPLIANCE_LANDING", str(tmp_path / "landing"))
    where = resolve_locations()
    assert where.home == tmp_path / "home"
    assert where.landing == tmp_path / "landing"
    assert where.policy is None


def test_airflow_variable_wins_over_environment(clean_env, tmp_path):
    # AIRFLOW_VAR_<NAME> is Airflow's environment-variable secrets backend for Variable <name>.
    clean_env.setenv("COMPLIANCE_HOME", str(tmp_path / "env-home"))
    clean_env.setenv("AIRFLOW_VAR_COMPLIANCE_HOME", str(tmp_path / "variable-home"))
    clean_env.setenv("COMPLIANCE_POLICY", "   ")
    where = resolve_locations()
    assert where.home == tmp_path / "variable-home"
    assert where.landing is None
    assert where.policy is None
