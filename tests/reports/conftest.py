"""Warehouses for the report tests.

`generated` is 13 generated months (2017-09 to 2018-09, seed 7) run through the real pipeline, so
the last month's 12-month trend has data; it is built once per session (one to two minutes). `tiny_home`
builds a small warehouse by SQL for tests that need exact, hand-chosen rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from report_helpers import FIRST, LAST, SEED, TEST_THRESHOLD, insert_rows


@dataclass(frozen=True)
class Generated:
    home: Path
    landing: Path
    month: str
    reports: object  # compliance.reports.build.ReportSet


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Generated:
    from compliance import pipeline
    from compliance.months import month_range
    from compliance.reports.options import ReportOptions
    from compliance.synth import generate

    root = tmp_path_factory.mktemp("generated")
    landing, home = root / "landing", root / "home"
    generate(landing, FIRST, LAST, SEED)
    pipeline.ingest_landing(home, landing)
    months = month_range(FIRST, LAST)
    for month in months[:-1]:  # the trend needs their flags; their own checks are not shown
        pipeline.evaluate(home, month)
    result = pipeline.run_month(home, LAST, options=ReportOptions(suppress_below=TEST_THRESHOLD))
    reports = pipeline.build_reports(home, LAST, options=ReportOptions(suppress_below=TEST_THRESHOLD))
    assert not reports.created and reports.version == result["report_version"]
    return Generated(home, landing, LAST, reports)


@pytest.fixture
def tiny_home(tmp_path):
    """A warehouse home built by SQL: `make(flags=[...], month=..., blocking_ok=True, **tables)`
    inserts the rows, a passing (or failing) blocking check and an evaluation journal entry for
    `month` and the month before, and returns the home."""
    from compliance import warehouse

    home = tmp_path / "home"

    def make(*, month: str = "2016-03", flags: list[dict] = (), blocking_ok: bool = True,
             evaluated: tuple[str, ...] = ("2016-02", "2016-03"), **tables) -> Path:
        with warehouse.connect(home) as con:
            insert_rows(con, "flags", list(flags))
            insert_rows(con, "validation_runs", [{
                "month": month, "table_name": "detainers", "suite": "detainers",
                "expectation": "expect_column_values_to_not_be_null(detainer_id)", "blocking": True,
                "success": blocking_ok, "observed": "0 nulls" if blocking_ok else "3 nulls",
                "details": "{}"}])
            insert_rows(con, "run_log", [{"run_id": f"r{m}", "step": "evaluate", "month": m,
                                          "started_at": "2026-01-01T00:00:00Z",
                                          "finished_at": "2026-01-01T00:00:01Z", "status": "success",
                                          "detail": "{}"} for m in evaluated])
            for table, rows in tables.items():
                insert_rows(con, table, rows)
        return home

    return make


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A private PostgreSQL server (tests/servers.py), as the pgaudit tests start one, for the review
    store's tests."""
    from servers import start_postgres

    server = start_postgres(tmp_path_factory.mktemp("reviews-pg"), {})
    yield server
    server.stop()
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, monkeypatch):
    """Each store test runs on the embedded SQLite store and on PostgreSQL by DSN."""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres")
        import psycopg

        name = f"reviews_{request.node.name.split('[')[0][-40:]}_{id(request)}".lower()
        with psycopg.connect(server.dsn(host=str(server.datadir)), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        monkeypatch.setenv("COMPLIANCE_REVIEWS_DSN", server.dsn(host=str(server.datadir), dbname=name))
    return request.param
