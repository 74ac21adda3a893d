"""A home with one published report version of MONTH holding FLAG_COUNT flags of two rules, over
several days and accounts (web_helpers.py), built once per session and copied for each test, with
one account per role (the review web app's tests: docs/review.md, "The web app")."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from web_helpers import FLAG_COUNT, MONTH, PASSWORDS, ROLES, flag_row


def insert_rows(con, table: str, rows: list[dict]) -> None:
    for row in rows:
        con.execute(f'INSERT INTO "{table}" ({", ".join(row)}) VALUES ({", ".join("?" for _ in row)})',
                    [json.dumps(v) if isinstance(v, (dict, list)) else v for v in row.values()])


@pytest.fixture(scope="session")
def published_template(tmp_path_factory) -> Path:
    from compliance import pipeline, warehouse

    home = tmp_path_factory.mktemp("web-published") / "home"
    with warehouse.connect(home) as con:
        insert_rows(con, "flags", [flag_row(i) for i in range(FLAG_COUNT)])
        insert_rows(con, "validation_runs", [{
            "month": MONTH, "table_name": "detainers", "suite": "detainers",
            "expectation": "expect_column_values_to_not_be_null(detainer_id)", "blocking": True,
            "success": True, "observed": "0 nulls", "details": "{}"}])
        insert_rows(con, "run_log", [{"run_id": f"r{m}", "step": "evaluate", "month": m,
                                      "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
                                      "status": "success", "detail": "{}"} for m in ("2016-02", MONTH)])
    pipeline.build_reports(home, MONTH)
    return home


@pytest.fixture
def review_home(published_template, tmp_path) -> Path:
    """A copy of the published home with the accounts vera (viewer), rita (reviewer), abe (approver)."""
    from compliance.review.store import open_store
    from compliance.review.users import add_user

    home = tmp_path / "home"
    shutil.copytree(published_template, home, symlinks=True)
    with open_store(home) as store:
        for name, role in ROLES.items():
            add_user(store, name, role, PASSWORDS[name])
    return home
