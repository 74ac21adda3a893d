"""Every figure in the IG report and the committee summary, recomputed from the warehouse by other
means (plain counts, Python over raw rows) for 13 generated months, must match what is shown."""
from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import yaml

from compliance import pipeline, warehouse
from compliance.config import RULES_DIR
from compliance.reports.options import DEFAULT_HTML_FLAGS_PER_RULE, ReportOptions
from report_helpers import TEST_THRESHOLD
from report_reading import is_subsequence, numbers, pdf_text, read_html

TZ = ZoneInfo("America/New_York")
UNMARKED = re.compile(r".{0,30}\d.{0,30}")


def local_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, mon = map(int, month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=TZ)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=TZ)
    return start, end


def shift(month: str, by: int) -> str:
    year, mon = map(int, month.split("-"))
    index = year * 12 + mon - 1 + by
    return f"{index // 12}-{index % 12 + 1:02d}"


class Truth:
    """Independent answers from the warehouse."""

    def __init__(self, con, month: str):
        self.con, self.month = con, month
        self.evaluated = {m for (m,) in con.execute(
            "SELECT DISTINCT month FROM run_log WHERE step = 'evaluate' AND status = 'success'").fetchall()}
        self.evaluated |= {m for (m,) in con.execute("SELECT DISTINCT month FROM flags").fetchall()}
        self.stable = set()
        for meta_path in RULES_DIR.glob("*.yml"):
            meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
            if meta.get("status") == "stable":
                self.stable.add(meta_path.stem)

    def one(self, sql: str, *params) -> int:
        return self.con.execute(sql, list(params)).fetchall()[0][0]

    def flags(self, month: str, **where) -> int | None:
        if month not in self.evaluated:
            return None
        clause = "".join(f" AND {column} = ?" for column in where)
        return self.one(f"SELECT count(*) FROM flags WHERE month = ?{clause}", month, *where.values())

    def stable_flags(self, month: str, category: str | None = None) -> int | None:
        if month not in self.evaluated:
            return None
        rows = self.con.execute("SELECT rule_id, category FROM flags WHERE month = ?", [month]).fetchall()
        return sum(1 for rule_id, cat in rows if rule_id in self.stable and category in (None, cat))

    def received(self) -> list[tuple]:
        start, end = local_bounds(self.month)
        rows = self.con.execute(
            "SELECT detainer_id, person_id, booking_id, action, received_at FROM detainers").fetchall()
        return [r for r in rows if start <= r[4] < end]

    def nyc(self) -> dict[str, int]:
        received = self.received()
        transferred_bookings = {b for (b,) in self.con.execute(
            "SELECT booking_id FROM custody_events WHERE event_type = 'transferred_to_ice'").fetchall()}
        transferred = {r[1] for r in received if r[3] == "transferred" or r[2] in transferred_bookings}
        return {
            "detainers_received": len(received),
            "people_held_beyond_release": len({r[1] for r in received if r[3] == "held"} | transferred),
            "people_transferred": len(transferred),
            "people_not_honored": len({r[1] for r in received if r[3] == "declined"
                                       and r[1] not in transferred and r[2] not in transferred_bookings}),
        }

    def coverage(self, table: str) -> int:
        start, end = local_bounds(self.month)
        columns = {"access_events": "event_ts", "arrests": "arrest_ts", "custody_events": "event_ts",
                   "detainers": "received_at"}
        if table in columns:
            stamps = [r[0] for r in self.con.execute(f"SELECT {columns[table]} FROM {table}").fetchall()]
            return sum(1 for s in stamps if s is not None and start <= s < end)
        return self.one(f"SELECT count(*) FROM {table.split(' ')[0]}")

    def source_days(self, name: str) -> dict[str, int]:
        """A report source's expected and covered days, from the pack's YAML and Python over the
        rows' stamps (the generated months deliver by rows; monthly detainers by their file)."""
        from compliance.config import DEFAULT_POLICY

        entry = next(e for e in yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))["report_sources"]
                     if e["name"] == name)
        start, end = local_bounds(self.month)
        days = [(start + dt.timedelta(days=i)).date() for i in range((end - start).days + 1)]
        days = [d for d in days if d < end.astimezone(TZ).date()]
        columns = {"access_events": "event_ts", "arrests": "arrest_ts", "custody_events": "event_ts",
                   "detainers": "received_at"}
        sql = f"SELECT {columns[entry['table']]} FROM {entry['table']}"
        rows = self.con.execute(sql + (" WHERE source = ?" if entry.get("source") else ""),
                                [entry["source"]] if entry.get("source") else []).fetchall()
        seen = {s.astimezone(TZ).date() for (s,) in rows if s is not None}
        if entry["delivers"] == "monthly":
            files = [p for (p,) in self.con.execute("SELECT path FROM batches WHERE table_name = ?",
                                                    [entry["table"]]).fetchall()]
            covered = int(any(d in seen for d in days) or any(f"_{self.month}." in p for p in files))
            return {"expected": 1, "covered": covered, "missing": 1 - covered}
        assert entry["delivers"] == "daily", entry
        covered = sum(d in seen for d in days)
        return {"expected": len(days), "covered": covered, "missing": len(days) - covered}

    def events_per_day(self) -> Counter:
        start, end = local_bounds(self.month)
        return Counter(s.astimezone(TZ).date().isoformat()
                       for (s,) in self.con.execute("SELECT event_ts FROM access_events").fetchall()
                       if start <= s < end)


def expected_ig(truth: Truth, key: str, attrs: dict, options: ReportOptions, cap: int):
    month, previous = truth.month, shift(truth.month, -1)
    parts = key.split(".")
    if key == "flags.total":
        return truth.flags(month)
    if key == "prev.total":
        return truth.flags(previous)
    if key == "change.total":
        before = truth.flags(previous)
        return None if before is None else truth.flags(month) - before
    if parts[0] == "flags" and parts[1] == "cat" and parts[3] == "sev":
        return truth.flags(month, category=parts[2], severity=parts[4])
    if parts[0] == "flags" and parts[1] == "cat" and parts[3] == "total":
        return truth.flags(month, category=parts[2])
    if parts[0] == "flags" and parts[1] == "sev":
        return truth.flags(month, severity=parts[2])
    if parts[0] == "prev":
        return truth.flags(previous, category=parts[2])
    if parts[0] == "change":
        before = truth.flags(previous, category=parts[2])
        return None if before is None else truth.flags(month, category=parts[2]) - before
    if parts[0] == "trend":
        trend_month = parts[1]
        assert month >= trend_month > shift(month, -12), key
        return truth.flags(trend_month) if parts[2] == "total" else truth.flags(trend_month, category=parts[3])
    if parts[0] == "rule" and parts[2] == "flags":
        return truth.flags(month, rule_id=parts[1])
    if parts[0] == "rule" and parts[2] == "not_shown":
        return truth.flags(month, rule_id=parts[1]) - cap
    if parts[0] == "options":
        return getattr(options, parts[1])
    if parts[0] == "nyc":
        return truth.nyc()[parts[1]]
    if key == "illinois.records":
        return len(truth.received())
    if parts[0] == "coverage":
        return truth.coverage(key.removeprefix("coverage."))
    if parts[0] == "source":
        return truth.source_days(parts[1])[parts[2]]
    if parts[0] == "day":
        return truth.events_per_day()[parts[1]]
    if parts[0] == "batch":
        batch_id, column = key.removeprefix("batch.").rsplit(".", 1)
        return truth.one(f"SELECT {column} FROM batches WHERE batch_id = ?", batch_id)
    if key == "quarantine":
        return truth.one("SELECT count(*) FROM quarantine WHERE batch_id = ? AND coalesce(field, '') = ? "
                         "AND reason = ?", attrs["data-batch"], attrs["data-field"], attrs["data-reason"])
    raise AssertionError(f"the test does not know how to recompute {key!r}: teach it")


@pytest.fixture(scope="module")
def truth(generated):
    with warehouse.connect(generated.home, read_only=True) as con:
        yield Truth(con, generated.month)


def check_ig(reading, truth: Truth, options: ReportOptions, cap: int) -> dict:
    """Every marked figure of an IG report against the warehouse; `cap`: the flags its form
    details per rule."""
    checked = {}
    for metric in reading.metrics:
        expected = expected_ig(truth, metric.key, metric.attrs, options, cap)
        if expected is None:
            assert metric.missing, f"{metric.key}: shows {metric.text!r}, but the month was not evaluated"
        else:
            assert not metric.missing and metric.value == expected, \
                f"{metric.key}: report says {metric.text!r}, warehouse says {expected}"
        checked[metric.key] = expected
    return checked


def test_every_ig_figure_matches_the_warehouse(generated, truth):
    reading = read_html(generated.reports.files["ig_html"])
    options = ReportOptions(suppress_below=TEST_THRESHOLD)
    checked = check_ig(reading, truth, options, cap=options.html_flags_per_rule)
    month = generated.month
    # Nothing expected is left out.
    categories = {c for (c,) in truth.con.execute(
        "SELECT DISTINCT category FROM flags WHERE month IN (?, ?)", [month, shift(month, -1)]).fetchall()}
    assert {f"flags.cat.{c}.total" for c in categories} <= set(checked)
    assert {f"trend.{shift(month, -i)}.total" for i in range(12)} <= set(checked)
    assert {f"nyc.{m}" for m in truth.nyc()} <= set(checked)
    assert {f"source.{name}.{part}" for name in ("arrests", "custody_events", "detainers", "pars_app", "pars_db")
            for part in ("expected", "covered")} <= set(checked)
    assert {f"rule.{r}.flags" for (r,) in truth.con.execute(
        "SELECT DISTINCT rule_id FROM flags WHERE month = ?", [month]).fetchall()} <= set(checked)
    batches = truth.one("SELECT count(*) FROM batches")
    assert sum(1 for k in checked if k.startswith("batch.") and k.endswith(".rows_read")) == batches
    # The generated range makes a real trend: several evaluated months with flags.
    assert sum(1 for i in range(12) if checked[f"trend.{shift(month, -i)}.total"]) >= 12
    assert checked["flags.total"] > 0 and checked["nyc.detainers_received"] > 0
    # Tables state no figure that is not marked (and so checked).
    loose = " ".join(reading.loose_table_text)
    assert not re.search(r"\d", loose), f"unmarked digits in a table: {re.findall(UNMARKED, loose)}"


def test_ig_pdf_caps_details_and_states_the_same_figures(generated, truth):
    from compliance.reports.options import DEFAULT_PDF_FLAGS_PER_RULE as cap

    html = read_html(generated.reports.files["ig_html"])
    text = pdf_text(generated.reports.files["ig_pdf"])
    # The PDF says the summary's figures in the same order as the HTML.
    summary = [m.text.replace(",", "") for m in html.metrics
               if m.key.split(".")[0] in ("flags", "prev", "change", "trend") and not m.missing]
    assert is_subsequence(summary, numbers(text))
    # Detail is capped per rule, and the rest is pointed to.
    flags = truth.con.execute("SELECT rule_id, flag_id FROM flags WHERE month = ?",
                              [generated.month]).fetchall()
    per_rule = Counter(rule_id for rule_id, _ in flags)
    detailed = Counter(rule_id for rule_id, flag_id in flags if flag_id in text)
    assert detailed == Counter({r: min(n, cap) for r, n in per_rule.items()})
    assert max(per_rule.values()) > cap, "the generated month should have a rule over the cap"
    assert f"flags-{generated.month}.csv" in text
    # The HTML details every flag when no rule has more than its cap.
    assert max(per_rule.values()) <= DEFAULT_HTML_FLAGS_PER_RULE
    html_text = generated.reports.files["ig_html"].read_text(encoding="utf-8")
    assert all(f'id="flag-{flag_id}"' in html_text for _, flag_id in flags)


def test_ig_html_caps_details_per_rule_and_counts_the_rest(generated, truth, tmp_path):
    """With a cap below the month's counts, the HTML details the first flags of each rule by time
    and states, checked like every figure, how many more are only in the exports."""
    home = tmp_path / "home"
    shutil.copytree(generated.home, home, ignore=shutil.ignore_patterns("reports"))
    options = ReportOptions(suppress_below=TEST_THRESHOLD, html_flags_per_rule=3)
    reports = pipeline.build_reports(home, generated.month, options=options)
    reading = read_html(reports.ig_html)
    checked = check_ig(reading, truth, options, cap=3)
    html_text = reports.ig_html.read_text(encoding="utf-8")
    flags = truth.con.execute("SELECT rule_id, flag_id, event_ts, subject_id FROM flags WHERE month = ? "
                              "ORDER BY event_ts, subject_id, flag_id", [generated.month]).fetchall()
    per_rule = Counter(rule_id for rule_id, *_ in flags)
    first = {rule_id: [f for r, f, *_ in flags if r == rule_id][:3] for rule_id in per_rule}
    assert {flag_id for flag_id in (f for _, f, *_ in flags) if f'id="flag-{flag_id}"' in html_text} \
        == {f for ids in first.values() for f in ids}
    over = {r for r, n in per_rule.items() if n > 3}
    assert over, "the generated month should have a rule over 3 flags"
    assert {f"rule.{r}.not_shown" for r in over} <= set(checked)
    # The exports still carry every flag.
    with open(reports.files["flags_csv"], encoding="utf-8", newline="") as fh:
        assert sorted(row["flag_id"] for row in csv.DictReader(fh)) == sorted(f for _, f, *_ in flags)


def committee_expected(truth: Truth, threshold: int) -> dict:
    month, previous = truth.month, shift(truth.month, -1)
    categories = {yaml.safe_load(p.read_text(encoding="utf-8"))["category"]
                  for p in RULES_DIR.glob("*.yml") if p.stem in truth.stable}
    return {
        "current": {c: truth.stable_flags(month, c) for c in categories},
        "previous": {c: truth.stable_flags(previous, c) for c in categories},
        "total": {"current": truth.stable_flags(month), "previous": truth.stable_flags(previous)},
        "nyc": truth.nyc(),
    }


def assert_protected(values: dict[str, int], shown: dict, total_shown, threshold: int) -> None:
    """No suppressed count can be recovered from the visible ones and the total."""
    hidden = [k for k, m in shown.items() if m.suppressed]
    for key, value in values.items():
        if 0 < value < threshold:
            assert key in hidden, f"{key} = {value} is below {threshold} but shown"
        if key not in hidden:
            assert shown[key].value == value, key
    if total_shown.suppressed:
        assert all(values[k] == 0 or k in hidden for k in values)
        return
    assert total_shown.value == sum(values.values())
    if hidden:
        hidden_sum = total_shown.value - sum(shown[k].value for k in shown if k not in hidden)
        assert len(hidden) >= 2 and hidden_sum >= threshold
        # Each hidden count is at least 1 (zeros are shown): its possible range is not one value.
        assert hidden_sum - (len(hidden) - 1) > 1


def test_every_committee_figure_matches_and_small_counts_are_protected(generated, truth):
    reading = read_html(generated.reports.files["committee_html"])
    metrics = {m.key: m for m in reading.metrics}
    assert len(metrics) == len(reading.metrics) or all(
        len(v) == 1 for v in reading.by_key().values()), "a committee figure is shown twice"
    threshold = TEST_THRESHOLD
    expected = committee_expected(truth, threshold)
    assert metrics["threshold.max_suppressed"].value == threshold - 1
    for column in ("current", "previous"):
        shown = {c: metrics[f"committee.cat.{c}.{column}"] for c in expected[column]}
        assert_protected(expected[column], shown, metrics[f"committee.total.{column}"], threshold)
    for key in list(expected["current"]) + ["total"]:
        prefix = f"committee.cat.{key}" if key != "total" else "committee.total"
        current, previous, change = (metrics[f"{prefix}.{c}"] for c in ("current", "previous", "change"))
        if current.suppressed or previous.suppressed:
            assert change.missing, f"{prefix}: a change is shown next to a suppressed figure"
        else:
            assert change.value == current.value - previous.value
    for measure, value in expected["nyc"].items():
        metric = metrics[f"committee.nyc.{measure}"]
        assert metric.suppressed == (0 < value < threshold)
        if not metric.suppressed:
            assert metric.value == value
    known = {"threshold.max_suppressed"} | {f"committee.nyc.{m}" for m in expected["nyc"]} | {
        f"committee.{p}.{c}" for p in [f"cat.{k}" for k in expected["current"]] + ["total"]
        for c in ("current", "previous", "change")}
    assert set(metrics) == known
    # The generated month exercises both sides of the threshold.
    assert any(m.suppressed for m in metrics.values()) and any(
        not m.suppressed and not m.missing and m.value > 0 for m in metrics.values())
    assert not re.search(r"\d", " ".join(reading.loose_table_text))
    # The tagged PDF states the same figures in the same order.
    visible = [m.text.replace(",", "") for m in reading.metrics if not m.suppressed and not m.missing]
    assert is_subsequence(visible, numbers(pdf_text(generated.reports.files["committee_pdf"])))
