"""End to end: a generated month from which one day of access logs was withheld, with one row a
faulty source let through. The month is still reported, INCOMPLETE, with the missing day and the failures listed, the
coverage gap shown and flagged; a file that arrives afterwards is accepted, reported as late,
and the month's re-run includes it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from compliance import pipeline, warehouse
from compliance.synth import generate
from report_reading import parse_html

MONTH, WITHHELD = "2018-08", "2018-08-15"


class Tables(HTMLParser):
    """Cell texts of every table with an id, row by row."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._row:
            self._row[-1] += data


@pytest.fixture(scope="module")
def month_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("withheld")
    landing = root / "landing"
    generate(landing, MONTH, MONTH, 3)
    log = landing / "access_events" / f"access_events_{MONTH}.jsonl"
    kept = [line for line in log.read_text().splitlines(keepends=True) if f'"event_ts":"{WITHHELD}' not in line]
    log.write_text("".join(kept))
    home = root / "home"
    pipeline.ingest_landing(home, landing)
    with warehouse.connect(home) as con:  # what a faulty stager could let through
        con.execute("INSERT INTO access_events (event_id, event_ts, account_id) "
                    "VALUES ('X1', '2018-08-20 12:00:00+00', NULL)")
    first = pipeline.run_month(home, MONTH)
    return landing, home, first


def test_the_month_is_reported_incomplete_with_its_failures(month_run):
    _, home, run = month_run
    assert run["incomplete"] and run["blocking_failures"] == 1
    # The withheld day is missing from both access logs the pack's report relies on.
    assert run["status"] == "INCOMPLETE" and run["missing_sources"] == [
        f"{source}: no records on 1 of 31 expected days ({WITHHELD})" for source in ("pars_app", "pars_db")]
    html = Path(run["report"]).read_text()
    assert "INCOMPLETE: sources this report relies on are missing: pars_app (access_events, source pars_app)" in html
    assert "; and blocking data-quality checks failed (see Data quality)." in html
    assert "Every file reconciles: rows read = loaded + quarantined + ignored" in html
    with warehouse.connect(home, read_only=True) as con:
        checks = con.execute("SELECT table_name, expectation, blocking, success FROM validation_runs "
                             "WHERE month = ? ORDER BY NOT blocking, table_name, expectation", [MONTH]).fetchall()
    # The body sums the checks up per table; appendix A lists every one with its verdict.
    summary = {m.key: m.value for m in parse_html(html[html.index('id="quality-h"'):html.index('id="quality-gate"')])
               .metrics}
    assert sum(v for k, v in summary.items() if k.endswith(".passed")) == sum(ok for *_, ok in checks) > 0
    assert sum(v for k, v in summary.items() if k.endswith(".blocking_failed")) == sum(
        b and not ok for _, _, b, ok in checks) == 1
    assert sum(v for k, v in summary.items() if k.endswith(".total")) == len(checks)
    verdicts = html[html.index('id="appendix-checks-h"'):html.index('id="appendix-manifest"')]
    assert verdicts.count(">pass<") == sum(ok for *_, ok in checks) > 0
    assert verdicts.count(">FAIL<") == sum(not ok for *_, ok in checks) >= 2
    listed = [row[:3] for row in Tables(html).tables["failed-checks"][1:]]
    assert listed == [[table, name, "BLOCKING" if blocking else "warning"]
                      for table, name, blocking, ok in checks if not ok]
    assert listed[0] == ["access_events", "account_id_not_null", "BLOCKING"]
    assert ["access_events", "account_is_known_or_mapped", "warning"] in listed


def test_the_withheld_day_shows_in_coverage_and_gaps(month_run):
    _, _, run = month_run
    tables = Tables(Path(run["report"]).read_text()).tables
    header, *days = tables["coverage-by-source"]
    sources = header[1:]
    missing = {(day[0], source) for day in days for source, cell in zip(sources, day[1:]) if "(no data)" in cell}
    assert missing == {(WITHHELD, "pars_app"), (WITHHELD, "pars_db")}
    assert len(days) == 31
    gaps = [(row[0], row[1], row[2][:10], row[3][:10]) for row in tables["log-gaps"][1:]]
    assert {g for g in gaps if g[2] == "2018-08-14"} == {
        ("pars_app", "sequence", "2018-08-14", "2018-08-16"), ("pars_app", "time", "2018-08-14", "2018-08-16"),
        ("pars_db", "time", "2018-08-14", "2018-08-16")}


def test_log_gap_flags_the_planted_gap_and_the_withheld_day(month_run):
    landing, home, _ = month_run
    labels = [json.loads(line) for line in (landing / "labels.jsonl").read_text().splitlines()]
    planted = {(lab["subject_id"], dt.datetime.fromisoformat(lab["window_start"]).date().isoformat())
               for lab in labels if "log_gap" in lab["categories"]}
    with warehouse.connect(home, read_only=True) as con:
        con.execute("SET TimeZone = 'America/New_York'")
        flagged = set(con.execute("SELECT subject_id, CAST(CAST(event_ts AS DATE) AS VARCHAR) FROM flags "
                                  "WHERE category = 'log_gap' AND month = ?", [MONTH]).fetchall())
    assert flagged == planted | {("pars_app", "2018-08-14"), ("pars_db", "2018-08-14")}


def test_a_late_file_is_accepted_listed_and_rerun(month_run):
    landing, home, first = month_run
    late_file = landing / "custody_events" / "custody_events_2018-08-late.csv"
    late_file.write_text("event_id,person_id,booking_id,event_type,event_ts\n"
                         "LATE1,P999,B999,booked,2018-08-30T10:00:00-04:00\n")
    results = pipeline.ingest_landing(home, landing)
    assert [r["late_months"] for r in results if r["status"] != "unchanged"] == [[MONTH]]
    assert pipeline.months_to_rerun(home) == [MONTH]
    second = pipeline.run_month(home, MONTH)
    assert pipeline.months_to_rerun(home) == []
    assert second["report"] != first["report"]
    [row] = Tables(Path(second["report"]).read_text()).tables["late-files"][1:]
    sha = hashlib.sha256(late_file.read_bytes()).hexdigest()[:12]
    assert row[:3] == ["custody_events", f"custody_events/{late_file.name} (sha256 {sha})", "1"]
