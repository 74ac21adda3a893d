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

    def domains(self) -> dict[str, str]:
        return {meta["category"]: meta["domain"] for meta in
                (yaml.safe_load(p.read_text(encoding="utf-8")) for p in RULES_DIR.glob("*.yml"))}

    def month_flags(self, month: str) -> list[tuple]:
        """(rule_id, category, incident subject, local day) of each flag of the month."""
        rows = self.con.execute("SELECT rule_id, category, subject_type, subject_id, account_id, event_ts "
                                "FROM flags WHERE month = ?", [month]).fetchall()
        return [(rule, category, account if kind == "access_event" and account else subject,
                 ts.astimezone(TZ).date()) for rule, category, kind, subject, account, ts in rows]

    def domain_flags(self, month: str, domain: str) -> int | None:
        if month not in self.evaluated:
            return None
        domains = self.domains()
        return sum(1 for _, category, *_ in self.month_flags(month) if domains.get(category, "access") == domain)

    def compare(self, domain: str, measure: str):
        month = self.month
        if measure == "current":
            return self.domain_flags(month, domain)
        if measure == "previous":
            return self.domain_flags(shift(month, -1), domain)
        window = [shift(month, -i) for i in range(1, 12)]
        if measure == "average":
            before = [m for m in window if m in self.evaluated]
            return round(sum(self.domain_flags(m, domain) for m in before) / len(before), 1) if before else None
        assert measure == "year_to_date", measure
        return sum(self.domain_flags(m, domain) or 0 for m in [month] + window if m[:4] == month[:4])

    def detainers_in_month(self) -> int:
        start, end = local_bounds(self.month)
        rows = self.con.execute("SELECT detainer_id, received_at, action_at, notice_sent_at FROM detainers").fetchall()
        ids = {r[0] for r in rows if any(t is not None and start <= t < end for t in r[1:])}
        ids |= {s for (s,) in self.con.execute(
            "SELECT subject_id FROM flags WHERE month = ? AND subject_type = 'detainer'", [self.month]).fetchall()}
        return len(ids)

    def brief(self, parts: list[str]):
        flags = self.month_flags(self.month)
        domains = self.domains()
        if parts[1] == "rule":
            subjects = {subject for rule, _, subject, _ in flags if rule == parts[2]}
            return len(subjects) if parts[3] == "detainers" else len(subjects) - min(len(subjects), 12)
        access = [f for f in flags if domains.get(f[1], "access") == "access"]
        if parts[2] == "subjects":
            return len({(rule, subject) for rule, _, subject, _ in access})
        if parts[2] == "incidents":
            return len({(rule, subject, day) for rule, _, subject, day in access})
        if parts[2] == "more_checks":
            return len({f[0] for f in access}) - 5
        if parts[-1] in ("others", "other_flags"):
            mine = [f for f in access if f[0] == parts[2]]
            per_subject = Counter(f[2] for f in mine)
            top = min(per_subject, key=lambda s: (-per_subject[s], s))
            return len(per_subject) - 1 if parts[-1] == "others" else len(mine) - per_subject[top]
        rule, subject, measure = parts[2], ".".join(parts[3:-1]), parts[-1]
        mine = [f for f in access if f[0] == rule and f[2] == subject]
        return len({f[3] for f in mine}) if measure == "days" else len(mine)

    def rule_incidents(self, rule: str, measure: str) -> int:
        mine = [f for f in self.month_flags(self.month) if f[0] == rule]
        return len({f[2] for f in mine}) if measure == "subjects" else len({(f[2], f[3]) for f in mine})

    def checks(self, table: str, measure: str) -> int:
        rows = self.con.execute("SELECT blocking, success FROM validation_runs WHERE month = ? AND table_name = ?",
                                [self.month, table]).fetchall()
        return {"total": len(rows), "passed": sum(1 for _, ok in rows if ok),
                "blocking_failed": sum(1 for b, ok in rows if b and not ok),
                "warnings": sum(1 for b, ok in rows if not b and not ok)}[measure]

    def by_charge(self) -> dict[str, int]:
        """Detainers received in the month by the most serious grade on the booking (Python)."""
        qualifying = {"F1", "F2", "H1", "H2"}
        charges: dict[tuple, list[str]] = {}
        for person, booking, grade in self.con.execute("SELECT person_id, booking_id, grade FROM charges").fetchall():
            charges.setdefault((person, booking), []).append((grade or "").strip().upper())
        counts = dict.fromkeys(("serious_felony", "other_felony", "misdemeanor_or_other", "no_charge"), 0)
        for _, person, booking, _, _ in self.received():
            grades = charges.get((person, booking))
            if not grades:
                counts["no_charge"] += 1
            elif qualifying & set(grades):
                counts["serious_felony"] += 1
            elif any(re.fullmatch(r"[FH][0-9]*", g) for g in grades):
                counts["other_felony"] += 1
            else:
                counts["misdemeanor_or_other"] += 1
        return counts

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
    if parts[0] == "rule" and parts[2] in ("incidents", "subjects"):
        return truth.rule_incidents(parts[1], parts[2])
    if key == "detainers.received":
        return len(truth.received())
    if key == "detainers.in_month":
        return truth.detainers_in_month()
    if parts[0] == "brief":
        return truth.brief(parts)
    if parts[0] == "compare":
        return truth.compare(parts[1], parts[2])
    if parts[0] == "checks":
        return truth.checks(parts[1], parts[2])
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
        elif isinstance(expected, float):
            assert not metric.missing and float(metric.text.replace(",", "")) == expected, \
                f"{metric.key}: report says {metric.text!r}, warehouse says {expected}"
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
        "by_charge": truth.by_charge(),
        # Stable flags of the month per domain, by the rules' own metadata.
        "domains": {domain: sum(truth.stable_flags(month, c) for c in categories
                                if truth.domains().get(c) == domain) for domain in ("detainers", "access")},
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
    """The city's acts and the flagged queries are shown as they are; the table of people by their
    charges suppresses small counts so that none can be recovered from the others and the total."""
    reading = read_html(generated.reports.files["committee_html"])
    metrics = {m.key: m for m in reading.metrics}
    assert len(metrics) == len(reading.metrics) or all(
        len(v) == 1 for v in reading.by_key().values()), "a committee figure is shown twice"
    threshold = TEST_THRESHOLD
    expected = committee_expected(truth, threshold)
    assert metrics["threshold.max_suppressed"].value == threshold - 1
    for column in ("current", "previous"):
        for category, value in expected[column].items():
            metric = metrics[f"committee.cat.{category}.{column}"]
            assert not metric.suppressed and metric.value == value, (category, column)
        total = metrics[f"committee.total.{column}"]
        assert not total.suppressed and total.value == expected["total"][column]
    # No review yet: every finding is still under review, in the table and in the first paragraph.
    for category, value in expected["current"].items():
        assert [metrics[f"committee.review.cat.{category}.{kind}"].value
                for kind in ("confirmed", "set_aside", "under_review")] == [0, 0, value], category
    for place in ("total", "lead"):
        assert [metrics[f"committee.review.{place}.{kind}"].value for kind in ("confirmed", "set_aside", "under_review")
                ] == [0, 0, expected["total"]["current"]]
    for key in list(expected["current"]) + ["total"]:
        prefix = f"committee.cat.{key}" if key != "total" else "committee.total"
        current, previous, change = (metrics[f"{prefix}.{c}"] for c in ("current", "previous", "change"))
        assert change.value == current.value - previous.value
    for measure, value in expected["nyc"].items():
        metric = metrics[f"committee.nyc.{measure}"]
        assert not metric.suppressed and metric.value == value
    for domain, value in expected["domains"].items():
        metric = metrics[f"committee.domain.{domain}"]
        assert not metric.suppressed and metric.value == value, domain
    assert expected["domains"]["detainers"] > 0 and expected["domains"]["access"] > 0
    by_charge = {k: metrics[f"committee.charge.{k}"] for k in expected["by_charge"]}
    assert_protected(expected["by_charge"], by_charge, metrics["committee.charge.total"], threshold)
    known = {"threshold.max_suppressed", "committee.charge.total"} | {
        f"committee.domain.{d}" for d in expected["domains"]} | {
        f"committee.nyc.{m}" for m in expected["nyc"]} | {
        f"committee.charge.{k}" for k in expected["by_charge"]} | {
        f"committee.{p}.{c}" for p in [f"cat.{k}" for k in expected["current"]] + ["total"]
        for c in ("current", "previous", "change")} | {
        f"committee.review.{p}.{kind}" for p in [f"cat.{k}" for k in expected["current"]] + ["total", "lead"]
        for kind in ("confirmed", "set_aside", "under_review")}
    assert set(metrics) == known
    assert not re.search(r"\d", " ".join(reading.loose_table_text))
    # The tagged PDF states the same figures in the same order.
    visible = [m.text.replace(",", "") for m in reading.metrics if not m.suppressed and not m.missing]
    assert is_subsequence(visible, numbers(pdf_text(generated.reports.files["committee_pdf"])))


def test_the_packs_threshold_suppresses_the_person_table_only(generated, truth, tmp_path):
    """Under the pack's own rule (11), small counts of the city's acts stay visible and the table of
    people by their charges hides what it must, none recoverable by subtraction."""
    from compliance.policy.pack import load_pack

    threshold = load_pack().committee_suppression["suppress_below"]
    home = tmp_path / "home"
    shutil.copytree(generated.home, home, ignore=shutil.ignore_patterns("reports"))
    reports = pipeline.build_reports(home, generated.month, options=ReportOptions())
    metrics = {m.key: m for m in read_html(reports.files["committee_html"]).metrics}
    assert metrics["threshold.max_suppressed"].value == threshold - 1
    expected = committee_expected(truth, threshold)
    small = {c: v for c, v in expected["current"].items() if 0 < v < threshold}
    assert small, "the generated month should have small counts of the city's acts"
    for category, value in small.items():
        metric = metrics[f"committee.cat.{category}.current"]
        assert not metric.suppressed and metric.value == value
    by_charge = {k: metrics[f"committee.charge.{k}"] for k in expected["by_charge"]}
    assert_protected(expected["by_charge"], by_charge, metrics["committee.charge.total"], threshold)
    assert any(m.suppressed for m in by_charge.values())
