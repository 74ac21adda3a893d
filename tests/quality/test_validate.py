"""validate_month on a real warehouse file: exact validation_runs rows, idempotency, failure modes."""
import json
import time

import duckdb
import pytest

from compliance import warehouse
from compliance.config import warehouse_path
from compliance.contract import LANDING_TABLES
from compliance.errors import ComplianceError
from compliance.months import month_bounds
from compliance.quality.validate import (
    VALUE_SET_TYPES,
    build_expectations,
    load_suite,
    load_suites,
    validate_month,
)
from support import PACK_TZ

# March 2026 in America/New_York is [2026-03-01 05:00 UTC, 2026-04-01 04:00 UTC) (DST on Mar 8).
ACCESS = """
INSERT INTO access_events (event_id, event_ts, account_id, action, outcome, result_count) VALUES
  ('e0', '2026-03-01 04:59:59+00', 'a1', 'weird_feb', 'success', 1),  -- February 28, 23:59:59 ET
  ('e1', '2026-03-01 05:00:00+00', 'a1', 'search', 'success', 3),     -- March 1, 00:00 ET
  ('e2', '2026-03-10 12:00:00+00', 'a1', 'frobnicate', 'success', 1), -- odd action: a warning
  ('e2', '2026-03-11 12:00:00+00', 'a2', 'view', 'success', 0),       -- duplicate id: blocking
  (NULL, '2026-03-12 12:00:00+00', 'a2', 'view', 'success', 0),       -- null id: blocking
  ('e5', '2026-04-01 03:59:59+00', 'a1', 'login', 'success', NULL),   -- March 31, 23:59:59 EDT
  ('e6', '2026-04-01 04:00:00+00', 'a1', 'weird_apr', 'success', 1)   -- April 1, 00:00 EDT
"""
DETAINERS = """
INSERT INTO detainers (detainer_id, person_id, booking_id, received_at, form_type, attachments,
                       action, action_at) VALUES
  ('d1', 'p1', 'b1', '2026-03-02 15:00:00+00', 'I-247A', 'I-200', 'held', '2026-03-03 15:00:00+00'),
  ('d2', 'p2', 'b2', '2026-03-20 15:00:00+00', 'I-999', '', 'declined', '2026-03-21 15:00:00+00')
"""
# The register and the bookings the rows above refer to, so that the referential checks pass.
REFERENCED = """
INSERT INTO accounts (account_id, agency, agency_kind, access_start) VALUES
  ('a1', 'Police', 'city', '2020-01-01'), ('a2', 'Police', 'city', '2020-01-01');
INSERT INTO custody_events (event_id, person_id, booking_id, event_type, event_ts) VALUES
  ('c1', 'p1', 'b1', 'booked', '2026-03-02 12:00:00+00'), ('c2', 'p2', 'b2', 'booked', '2026-03-20 12:00:00+00')
"""

CONTRACT_COLUMNS = {
    "access_events": '["account_id", "action", "batch_id", "case_number", "client_addr", "event_id", '
                     '"event_ts", "extra", "objects", "outcome", "purpose_code", "result_count", '
                     '"search_terms", "sequence_no", "session_id", "source", "source_action", '
                     '"source_line", "statement", "subject_person_id"]',
    "detainers": '["action", "action_at", "attachments", "batch_id", "booking_id", "detainer_id", '
                 '"extra", "form_type", "judicial_warrant_signed_by", "notice_sent_at", "person_id", '
                 '"received_at", "source_line"]',
}


def expected_rows(month, access_rows, detainer_rows, failures):
    """(month, table, suite, expectation, blocking, success, observed) for every expectation."""
    def map_row(table, name, blocking, rows):
        bad = failures.get((table, name), 0)
        return (month, table, table, name, blocking, bad == 0, f"{bad} of {rows} rows unexpected")

    a, d = access_rows, detainer_rows
    return sorted([
        (month, "access_events", "access_events", "required_columns_present", True, True,
         CONTRACT_COLUMNS["access_events"]),
        (month, "access_events", "access_events", "column_types", True, True, "0"),
        map_row("access_events", "event_id_not_null", True, a),
        map_row("access_events", "event_id_unique", True, a),
        map_row("access_events", "event_ts_not_null", True, a),
        map_row("access_events", "account_id_not_null", True, a),
        map_row("access_events", "action_in_contract_set", False, a),
        map_row("access_events", "outcome_in_contract_set", False, a),
        map_row("access_events", "result_count_not_negative", False, a),
        (month, "access_events", "access_events", "event_ts_not_after_arrival", True, True, "0"),
        (month, "access_events", "access_events", "account_is_known_or_mapped", False, True, "0"),
        (month, "detainers", "detainers", "required_columns_present", True, True,
         CONTRACT_COLUMNS["detainers"]),
        (month, "detainers", "detainers", "column_types", True, True, "0"),
        map_row("detainers", "detainer_id_not_null", True, d),
        map_row("detainers", "detainer_id_unique", True, d),
        map_row("detainers", "person_id_not_null", True, d),
        map_row("detainers", "booking_id_not_null", True, d),
        map_row("detainers", "received_at_not_null", True, d),
        map_row("detainers", "form_type_in_contract_set", False, d),
        map_row("detainers", "action_in_contract_set", False, d),
        *[(month, "detainers", "detainers", name, blocking, True, "0") for name, blocking in (
            ("received_at_not_after_arrival", True), ("attachments_known", False),
            ("action_not_before_receipt", False), ("booking_is_booked", False),
            ("person_is_known", False), ("booking_belongs_to_person", False))],
    ])


def of_access_and_detainers(rows):
    """The rows of the two suites this file checks in detail (tests/quality covers the others)."""
    return [r[:7] for r in rows if r[2] in ("access_events", "detainers")]


def stored(home, month=None):
    with warehouse.connect(home, read_only=True) as con:
        where, args = ("WHERE month = ?", [month]) if month else ("", [])
        return sorted(con.execute(
            "SELECT month, table_name, suite, expectation, blocking, success, observed, details "
            f"FROM validation_runs {where}", args).fetchall())


@pytest.fixture
def home(tmp_path):
    with warehouse.connect(tmp_path) as con:
        con.execute(ACCESS)
        con.execute(DETAINERS)
        con.execute(REFERENCED)
    return tmp_path


def test_month_rows_are_exact_and_rerun_is_identical(home):
    summary = validate_month(home, "2026-03", tz=PACK_TZ)

    assert (summary["month"], summary["blocking_failures"], summary["warnings"]) == ("2026-03", 2, 2)
    failures = {("access_events", "event_id_not_null"): 1,
                ("access_events", "event_id_unique"): 2,
                ("access_events", "action_in_contract_set"): 1,
                ("detainers", "form_type_in_contract_set"): 1}
    rows = stored(home)
    assert of_access_and_detainers(rows) == expected_rows("2026-03", 5, 2, failures)
    assert len(summary["results"]) == len(rows)

    details = {(r[2], r[3]): json.loads(r[7]) for r in rows}
    unique = details[("access_events", "event_id_unique")]
    assert unique["type"] == "expect_column_values_to_be_unique" and unique["why"]
    assert unique["result"]["unexpected_values"] == [{"count": 2, "value": "e2"}]
    assert details[("access_events", "action_in_contract_set")]["result"]["unexpected_values"] == [
        {"count": 1, "value": "frobnicate"}]
    assert details[("detainers", "form_type_in_contract_set")]["result"]["unexpected_values"] == [
        {"count": 1, "value": "I-999"}]

    with warehouse.connect(home, read_only=True) as con:
        before = warehouse.table_checksums(con)
    again = validate_month(home, "2026-03", tz=PACK_TZ)
    with warehouse.connect(home, read_only=True) as con:
        after = warehouse.table_checksums(con)
    assert after == before and stored(home) == rows
    assert again == summary


def test_months_are_local_and_replace_only_their_own_rows(home):
    validate_month(home, "2026-03", tz=PACK_TZ)
    march = stored(home, "2026-03")
    feb = validate_month(home, "2026-02", tz=PACK_TZ)
    apr = validate_month(home, "2026-04", tz=PACK_TZ)
    assert stored(home, "2026-03") == march
    # e0 (Feb 28 23:59:59 ET) and e6 (Apr 1 00:00 EDT) fall outside March, each in its own month
    assert (feb["blocking_failures"], feb["warnings"]) == (0, 1)
    assert (apr["blocking_failures"], apr["warnings"]) == (0, 1)
    assert of_access_and_detainers(stored(home, "2026-02")) == expected_rows(
        "2026-02", 1, 0, {("access_events", "action_in_contract_set"): 1})


def test_empty_month_is_validated_and_recorded(home):
    summary = validate_month(home, "2025-01", tz=PACK_TZ)
    assert (summary["blocking_failures"], summary["warnings"]) == (0, 0)
    assert of_access_and_detainers(stored(home, "2025-01")) == expected_rows("2025-01", 0, 0, {})


def test_row_without_main_timestamp_blocks_every_month(home):
    with warehouse.connect(home) as con:
        con.execute("INSERT INTO access_events (event_id, event_ts, account_id) VALUES ('x', NULL, 'a')")
    summary = validate_month(home, "2025-01", tz=PACK_TZ)
    assert summary["blocking_failures"] == 1
    [row] = [r for r in summary["results"]
             if (r["table_name"], r["expectation"]) == ("access_events", "event_ts_not_null")]
    assert (row["success"], row["observed"]) == (False, "1 of 1 rows unexpected")


def test_result_without_observed_value_raises_and_records_nothing(home, monkeypatch):
    from compliance.quality import gx_duckdb

    validate_month(home, "2026-03", tz=PACK_TZ)
    rows = stored(home)
    monkeypatch.setattr(gx_duckdb, "install_workaround", lambda: None)  # GX as shipped
    gx_duckdb.remove_workaround()
    with pytest.raises(ComplianceError, match="could not compute"):
        validate_month(home, "2026-03", tz=PACK_TZ)
    assert stored(home) == rows


def test_bad_month_and_missing_warehouse(tmp_path):
    with pytest.raises(ComplianceError, match="YYYY-MM"):
        validate_month(tmp_path, "2026-13", tz=PACK_TZ)
    with pytest.raises(ComplianceError, match="no warehouse yet"):
        validate_month(tmp_path, "2026-03", tz=PACK_TZ)
    assert not warehouse_path(tmp_path).exists()


# ------------------------------------------------------------------------------------ suites
def test_repository_suites_follow_the_rules():
    suites = {s.table: s for s in load_suites()}
    assert {"access_events", "detainers"} <= set(suites)
    for suite in suites.values():
        required, non_empty = LANDING_TABLES[suite.table]
        by_type = {}
        for check in suite.checks:
            by_type.setdefault(check.type, []).append(check)
            if check.type in VALUE_SET_TYPES:
                assert not check.blocking, check.name
        [columns] = by_type["expect_table_columns_to_match_set"]
        assert sorted(columns.kwargs["column_set"]) == sorted(required)
        not_null = {c.kwargs["column"] for c in by_type["expect_column_values_to_not_be_null"]}
        assert not_null == set(non_empty) and all(
            c.blocking for c in by_type["expect_column_values_to_not_be_null"])
        assert len(build_expectations(suite)) == len(suite.checks)


@pytest.mark.parametrize("change, message", [
    ({"type": "expect_column_values_to_match_regex", "kwargs": {"column": "action", "regex": "x"}},
     "regex"),
    ({"type": "expect_column_values_to_be_in_set", "blocking": True,
      "kwargs": {"column": "action", "value_set": ["login"]}}, "cannot block"),
    ({"why": ""}, "why"),
    ({"name": "Bad Name"}, "name"),
])
def test_suite_loader_rejects(tmp_path, change, message):
    check = {"name": "c", "type": "expect_column_values_to_not_be_null",
             "kwargs": {"column": "event_id"}, "blocking": False, "why": "because", **change}
    path = tmp_path / "access_events.json"
    path.write_text(json.dumps({"table": "access_events", "expectations": [check]}))
    with pytest.raises(ComplianceError, match=message):
        load_suite(path)


def test_unknown_gx_type_is_a_compliance_error(tmp_path):
    path = tmp_path / "detainers.json"
    path.write_text(json.dumps({"table": "detainers", "expectations": [
        {"name": "c", "type": "expect_the_unexpected", "kwargs": {}, "blocking": False, "why": "x"}]}))
    with pytest.raises(ComplianceError, match="GX rejects"):
        build_expectations(load_suite(path))


# ------------------------------------------------------------------------------------ timing
def test_timing_one_million_access_events(tmp_path, capsys):
    """Report (no assert on wall clock) validate_month vs a plain count(*) on 1,000,000 rows."""
    with warehouse.connect(tmp_path) as con:
        con.execute("""
            INSERT INTO access_events (event_id, event_ts, account_id, client_addr, action,
                                       subject_person_id, result_count, outcome, sequence_no)
            SELECT 'ev' || i, TIMESTAMPTZ '2026-03-01 05:00:00+00' + i * INTERVAL 2 SECOND,
                   'acct' || (i % 500), '10.0.' || (i % 200) || '.1',
                   ['login', 'search', 'view', 'export', 'logout'][1 + i % 5],
                   'p' || (i % 50000), i % 40, 'success', i
            FROM generate_series(0, 999999) AS s(i)""")
        con.execute("""
            INSERT INTO accounts (account_id, agency, agency_kind, access_start)
            SELECT 'acct' || i, 'Police', 'city', DATE '2020-01-01' FROM generate_series(0, 499) AS s(i)""")
    validate_month(tmp_path, "2026-02", tz=PACK_TZ)  # warm: GX imported, first-use caches filled

    started = time.perf_counter()
    summary = validate_month(tmp_path, "2026-03", tz=PACK_TZ)
    validate_s = time.perf_counter() - started

    started = time.perf_counter()
    con = duckdb.connect(str(warehouse_path(tmp_path)), read_only=True)
    start, end = month_bounds("2026-03", PACK_TZ)
    [(count,)] = con.execute("SELECT count(*) FROM access_events WHERE event_ts >= ? AND event_ts < ?",
                             [start, end]).fetchall()
    con.close()
    count_s = time.perf_counter() - started

    assert count == 1_000_000
    assert summary["blocking_failures"] == 0 and summary["warnings"] == 0
    assert any(r["observed"] == "0 of 1000000 rows unexpected" for r in summary["results"])
    with capsys.disabled():
        print(f"\n[timing] validate_month, 1,000,000 access_events: {validate_s:.2f} s; "
              f"SELECT count(*) for the month: {count_s:.3f} s")
