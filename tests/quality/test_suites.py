"""The reviewed suites in expectations/: one per canonical table, blocking only for structure, and
every check catching exactly the rows it is about (GX on DuckDB, SQL pushdown)."""
from __future__ import annotations

import json

import pytest

from compliance import pipeline, warehouse
from compliance.contract import ID_COLUMN, LANDING_TABLES, MAIN_TIMESTAMP
from compliance.errors import ComplianceError
from compliance.quality.validate import VALUE_SET_TYPES, build_expectations, load_suites, validate_month
from compliance.synth import generate
from support import PACK_TZ

REFERENTIAL = {"booking_is_booked", "person_is_known", "account_is_known_or_mapped", "account_is_registered"}


def test_every_canonical_table_has_a_suite_that_blocks_only_on_structure():
    suites = {s.table: s for s in load_suites()}
    assert set(suites) == set(LANDING_TABLES)
    for table, suite in suites.items():
        required, non_empty = LANDING_TABLES[table]
        checks = {c.name: c for c in suite.checks}
        assert sorted(checks["required_columns_present"].kwargs["column_set"]) == sorted(required)
        assert checks["column_types"].blocking and checks["required_columns_present"].blocking
        not_null = {c.kwargs["column"] for c in suite.checks if c.type == "expect_column_values_to_not_be_null"}
        assert not_null == set(non_empty)
        assert all(checks[f"{column}_not_null"].blocking for column in non_empty)
        unique = ID_COLUMN[table] and checks[f"{ID_COLUMN[table]}_unique"]
        assert (unique or checks["source_db_user_unique"]).blocking
        if MAIN_TIMESTAMP[table] and table != "accounts":
            assert checks[f"{MAIN_TIMESTAMP[table]}_not_after_arrival"].blocking
            assert suite.rows == "month"
        for check in suite.checks:
            if check.type in VALUE_SET_TYPES or check.name in REFERENTIAL or check.name.startswith("booking_belongs"):
                assert not check.blocking, f"{table}.{check.name}: values the rules judge never block"
        assert len(build_expectations(suite)) == len(suite.checks)
    assert (suites["accounts"].rows, suites["account_map"].rows, suites["charges"].rows) == ("all", "all", "all")


BROKEN = """
INSERT INTO batches (batch_id, table_name, path, rows_read, rows_loaded, rows_quarantined, rows_ignored, ingested_at)
  VALUES ('early', 'detainers', '/landing/early.csv', 0, 0, 0, 0, '2026-03-15 12:00:00+00');
INSERT INTO accounts (account_id, agency, agency_kind, access_start, access_end, work_hours) VALUES
  ('u1', 'Police', 'city', '2020-01-01', '2019-01-01', '07:00-19:00'),
  ('u2', 'Police', 'alien', '2020-01-01', NULL, 'nine to five');
INSERT INTO account_map (source, db_user, account_id) VALUES
  ('pars_db', 'dbu1', 'u1'), ('pars_db', 'dbu1', 'u2'), ('pars_db', 'ghost_user', 'nobody');
INSERT INTO arrests (arrest_id, person_id, arrest_ts, booking_id) VALUES
  ('a1', 'p1', '2026-03-01 12:00:00+00', 'b1'), ('a2', 'p5', '2026-03-01 13:00:00+00', 'b404');
INSERT INTO custody_events (event_id, person_id, booking_id, event_type, event_ts) VALUES
  ('c1', 'p1', 'b1', 'booked', '2026-03-02 12:00:00+00'), ('c2', 'p2', 'b2', 'booked', '2026-03-02 13:00:00+00'),
  ('c3', 'p3', 'b3', 'booked', '2026-03-03 12:00:00+00'), ('c4', 'p4', 'b3', 'booked', '2026-03-03 13:00:00+00'),
  ('c5', 'p1', 'b9', 'released', '2026-03-04 12:00:00+00'), ('c6', 'p1', 'b1', 'teleported', '2026-03-04 13:00:00+00');
INSERT INTO charges (charge_id, person_id, booking_id, grade, disposition, disposition_date, batch_id) VALUES
  ('ch1', 'p1', 'b1', 'F1', 'convicted', '2026-03-03', NULL), ('ch2', 'p1', 'b9', 'F2', 'pending', NULL, NULL),
  ('ch3', 'p7', 'b2', 'M1', 'dismissed', NULL, NULL), ('ch4', 'p2', 'b2', 'Z9', 'guilty-ish', NULL, NULL),
  ('ch5', 'p2', 'b2', 'F3', 'convicted', '2099-01-01', 'early');
INSERT INTO detainers (detainer_id, person_id, booking_id, received_at, form_type, attachments, action, action_at, batch_id) VALUES
  ('d1', 'p1', 'b1', '2026-03-05 12:00:00+00', 'I-247A', 'I-200', 'held', '2026-03-06 12:00:00+00', NULL),
  ('d2', 'p2', 'b2', '2026-03-05 12:00:00+00', 'I-247A', 'I-200;fax', 'held', '2026-03-04 12:00:00+00', NULL),
  ('d3', 'p8', 'b8', '2026-03-05 12:00:00+00', 'I-247A', '', 'declined', NULL, NULL),
  ('d4', 'p1', 'b2', '2026-03-05 12:00:00+00', 'I-247A', '', 'declined', NULL, NULL),
  ('d5', 'p1', 'b1', '2026-03-20 12:00:00+00', 'I-247A', '', 'pending', NULL, 'early');
INSERT INTO access_events (event_id, event_ts, account_id, source, action, outcome, result_count, batch_id) VALUES
  ('e1', '2026-03-05 12:00:00+00', 'u1', 'pars_app', 'search', 'success', 1, NULL),
  ('e2', '2026-03-05 12:00:00+00', 'ghost', 'pars_app', 'search', 'success', 1, NULL),
  ('e3', '2026-03-20 12:00:00+00', 'u1', 'pars_app', 'search', 'success', 1, 'early'),
  ('e4', '2026-03-05 12:00:00+00', 'dbu1', 'pars_db', 'other', 'success', 0, NULL);
"""


def test_each_check_catches_exactly_its_rows(tmp_path):
    with warehouse.connect(tmp_path) as con:
        con.execute(BROKEN)
    summary = validate_month(tmp_path, "2026-03", tz=PACK_TZ)
    failed = {(r["suite"], r["expectation"]): (r["blocking"], r["observed"])
              for r in summary["results"] if not r["success"]}
    assert failed == {
        ("accounts", "access_window_ordered"): (False, "1"),
        ("accounts", "work_hours_format"): (False, "1"),
        ("accounts", "agency_kind_in_contract_set"): (False, "1 of 2 rows unexpected"),
        ("account_map", "source_db_user_unique"): (True, "2 of 3 rows unexpected"),
        ("account_map", "account_is_registered"): (False, "1"),
        ("arrests", "booking_is_booked"): (False, "1"),
        ("custody_events", "booking_belongs_to_person"): (False, "2"),
        ("custody_events", "booking_is_booked"): (False, "1"),
        ("custody_events", "event_type_in_contract_set"): (False, "1 of 6 rows unexpected"),
        ("charges", "booking_is_booked"): (False, "1"),
        ("charges", "person_is_known"): (False, "1"),
        ("charges", "booking_belongs_to_person"): (False, "1"),
        ("charges", "grade_in_contract_set"): (False, "1 of 5 rows unexpected"),
        ("charges", "disposition_in_contract_set"): (False, "1 of 5 rows unexpected"),
        ("charges", "disposition_date_not_after_arrival"): (False, "1"),
        ("detainers", "action_not_before_receipt"): (False, "1"),
        ("detainers", "attachments_known"): (False, "1"),
        ("detainers", "booking_is_booked"): (False, "1"),
        ("detainers", "person_is_known"): (False, "1"),
        ("detainers", "booking_belongs_to_person"): (False, "1"),
        ("detainers", "received_at_not_after_arrival"): (True, "1"),
        ("access_events", "account_is_known_or_mapped"): (False, "1"),
        ("access_events", "event_ts_not_after_arrival"): (True, "1"),
    }
    assert (summary["blocking_failures"], summary["warnings"]) == (3, 20)
    with warehouse.connect(tmp_path, read_only=True) as con:
        stored = con.execute("SELECT count(*), count(*) FILTER (blocking AND NOT success) FROM validation_runs "
                             "WHERE month = '2026-03'").fetchall()
    assert stored == [(len(summary["results"]), 3)]


def test_generated_month_passes_every_blocking_check(tmp_path):
    landing = tmp_path / "landing"
    generate(landing, "2016-02", "2016-02", 2)
    pipeline.ingest_landing(tmp_path / "home", landing)
    summary = validate_month(tmp_path / "home", "2016-02", tz=PACK_TZ)
    assert summary["blocking_failures"] == 0
    warned = {(r["suite"], r["expectation"]) for r in summary["results"] if not r["success"]}
    # Only what the generator plants for the rules: an unregistered account, odd dispositions.
    assert warned <= {("access_events", "account_is_known_or_mapped"),
                      ("charges", "disposition_in_contract_set"), ("charges", "grade_in_contract_set")}
    assert ("access_events", "account_is_known_or_mapped") in warned


def test_a_check_gx_cannot_compute_is_an_error_and_records_nothing(tmp_path):
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "detainers.json").write_text(json.dumps({"table": "detainers", "expectations": [
        {"name": "broken", "type": "unexpected_rows_expectation", "blocking": False, "why": "a typo",
         "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch} WHERE no_such_column = 1"}}]}))
    with warehouse.connect(tmp_path / "home") as con:
        con.execute("INSERT INTO detainers (detainer_id, received_at) VALUES ('d1', '2026-03-05 12:00:00+00')")
    with pytest.raises(ComplianceError, match=r"GX could not compute an expectation \(detainers.broken, month 2026-03\)"):
        validate_month(tmp_path / "home", "2026-03", tz=PACK_TZ, expectations_dir=suites)
    with warehouse.connect(tmp_path / "home", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM validation_runs").fetchall() == [(0,)]


def test_a_suite_for_a_table_without_main_timestamp_cannot_ask_for_months(tmp_path):
    from compliance.quality.validate import load_suite

    path = tmp_path / "charges.json"
    path.write_text(json.dumps({"table": "charges", "rows": "month", "expectations": []}))
    with pytest.raises(ComplianceError, match="field rows: rows must be one of all for charges"):
        load_suite(path)
