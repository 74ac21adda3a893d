"""Helpers shared by the report tests (fixtures are in conftest.py)."""
from __future__ import annotations

import json

FIRST, LAST = "2017-09", "2018-09"
SEED = 7
# Low enough that the generated month has both visible and suppressed committee counts.
TEST_THRESHOLD = 3


def insert_rows(con, table: str, rows: list[dict]) -> None:
    for row in rows:
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        con.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',
                    [json.dumps(v) if isinstance(v, dict) else v for v in row.values()])


def flag_row(flag_id: str, month: str, *, rule_id: str = "ineligible_hold", category: str = "ineligible_hold",
             severity: str = "high", subject_id: str = "D1", person_id: str | None = "P1",
             account_id: str | None = None, event_ts: str = "2016-03-10T12:00:00-05:00",
             summary: str = "held without a qualifying conviction", evidence: dict | None = None) -> dict:
    return {"flag_id": flag_id, "rule_id": rule_id, "rule_version": "test", "category": category,
            "severity": severity, "month": month, "subject_type": "detainer", "subject_id": subject_id,
            "account_id": account_id, "person_id": person_id, "event_ts": event_ts, "summary": summary,
            "evidence": evidence if evidence is not None else {
                "reason": "no qualifying conviction", "policy_citation": "EO 5-16 § 1",
                "source_lines": [{"file": "landing/detainers/detainers_2016-03.csv", "line": 2}]}}


def raw_store(home):
    """A plain connection to the store, as any other program could open it."""
    import os

    dsn = os.environ.get("COMPLIANCE_REVIEWS_DSN")
    if dsn:
        import psycopg

        return psycopg.connect(dsn, autocommit=True), psycopg.Error
    import sqlite3

    from compliance.review.store import store_path

    return sqlite3.connect(store_path(home)), sqlite3.IntegrityError
