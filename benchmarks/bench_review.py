"""Review at the scale of a busy month: opening a queue of 10,000 flags and bulk-reviewing 1,000.

A month of 10,000 flags (benchmarks/bench_reports.py builds it) is published once. Then, in this
process: the baseline, DuckDB reading the version's flag Parquet whole; the month's queue as
`compliance review list` and the web app build it (`month_queue`: the Parquet joined with every
decision and exception in DuckDB); one bulk review of 1,000 flags (`record`, one decision per flag
in one transaction), and the queue again with those 1,000 decided. Through the web app, the same:
the queue page of 10,000 flags (it lists the first 500), and bulk reviews of every open flag of two
rules. Reported: seconds and ratios against the baseline.
"""
from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from benchmarks.bench_reports import BIG, MONTH, make_home

BULK = 1_000


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return round(time.perf_counter() - started, 3), result


def run() -> dict:
    import duckdb

    from compliance import pipeline
    from compliance.review.queue import month_queue, record
    from compliance.review.state import flags_file
    from compliance.review.store import open_store

    with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
        home = make_home(Path(folder) / "home", BIG)
        reports = pipeline.build_reports(home, MONTH)
        parquet = flags_file(reports.directory)
        baseline, _ = timed(lambda: duckdb.connect().sql(f"SELECT * FROM read_parquet('{parquet}')").fetchall())
        with open_store(home) as store:
            open_seconds, rows = timed(lambda: month_queue(store, home, MONTH))
            chosen = [row["flag_id"] for row in rows[:BULK]]
            bulk_seconds, decisions = timed(lambda: record(store, home, chosen, disposition="confirmed",
                                                           note="bulk", reviewer="bench"))
            reopen_seconds, again = timed(lambda: month_queue(store, home, MONTH))
        assert len(rows) == BIG and len(decisions) == BULK
        assert sum(1 for row in again if row["disposition"] == "confirmed") == BULK
        web = web_timings(home)
    return {
        "flags": BIG, "bulk": BULK,
        "baseline_read_parquet_seconds": baseline,
        "queue_open_seconds": open_seconds, "queue_open_ratio": round(open_seconds / baseline, 1),
        "bulk_review_seconds": bulk_seconds, "bulk_review_ratio": round(bulk_seconds / baseline, 1),
        "queue_open_after_bulk_seconds": reopen_seconds,
        **web,
    }


def web_timings(home: Path) -> dict:
    """The queue page, and a bulk review of every open flag of two rules ("every flag matching the
    filters": a page lists at most 500 to tick), through the web app as a reviewer's browser asks."""
    from starlette.testclient import TestClient

    from compliance.review.store import open_store
    from compliance.review.users import add_user
    from compliance.web.app import create_app

    with open_store(home) as store:
        add_user(store, "bench", "reviewer", "bench review password")
    client = TestClient(create_app(home), base_url="http://127.0.0.1")
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    client.post("/login", data={"name": "bench", "password": "bench review password", "csrf_token": token})
    page_seconds, page = timed(lambda: client.get(f"/months/{MONTH}"))
    assert page.status_code == 200, page.status_code
    bulk_seconds, bulk_flags = 0.0, 0
    for rule in re.findall(r'<option value="([a-z_]+)"', page.text.split('name="rule"', 1)[1].split("</select>", 1)[0])[:2]:
        filtered = client.get(f"/months/{MONTH}", params={"rule": rule, "state": "open"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', filtered.text).group(1)
        digest = re.search(r'name="matching_digest" value="([^"]+)"', filtered.text).group(1)
        count = int(re.search(r"([\d,]+) flags? match", filtered.text).group(1).replace(",", ""))
        seconds, done = timed(lambda: client.post(f"/months/{MONTH}/review", data={
            "scope": "matching", "rule": rule, "state": "open", "matching_digest": digest,
            "disposition": "false_positive", "note": "bulk", "csrf_token": token}, follow_redirects=False))
        assert done.status_code == 303, re.findall(r'class="error"[^>]*>(.*?)<', done.text) or done.status_code
        bulk_seconds, bulk_flags = bulk_seconds + seconds, bulk_flags + count
    return {"web_queue_page_seconds": page_seconds, "web_queue_page_kb": round(len(page.content) / 1024, 1),
            "web_bulk_review_flags": bulk_flags, "web_bulk_review_seconds": round(bulk_seconds, 3)}
