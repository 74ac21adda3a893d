"""The trend charts as drawn: plain category names, every count legible beside a large one, the
policy's changes marked, and months never evaluated left empty."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from compliance.reports.charts import trend_charts
from compliance.reports.categories import plain_name

MONTHS = [f"2018-{m:02d}" for m in range(1, 13)]
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def draw(counts, evaluated, changes=()):
    return trend_charts(MONTHS, counts, set(evaluated), list(changes))


def test_categories_are_named_in_plain_words_and_a_small_count_stays_legible_beside_a_large_one():
    counts = [{"month": "2018-09", "severity": "critical", "category": "access_outside_agreement", "flags": 42},
              {"month": "2018-09", "severity": "high", "category": "ineligible_hold", "flags": 1},
              {"month": "2018-08", "severity": "high", "category": "ineligible_hold", "flags": 3}]
    shown = texts(draw(counts, ["2018-08", "2018-09"])["category"])
    assert plain_name("access_outside_agreement") in shown and plain_name("ineligible_hold") in shown
    assert not {"access_outside_agreement", "ineligible_hold"} & set(shown)
    # Every count is written on its bar, each category in its own panel: the 1 and the 3 are read
    # as figures, not as slivers beside the 42.
    assert sorted(t for t in shown if t.isdigit()) == sorted(["42", "0", "1", "3"])
    # Detainer findings first, as in the report's other tables.
    assert shown.index(plain_name("ineligible_hold")) < shown.index(plain_name("access_outside_agreement"))


def test_months_never_evaluated_get_no_bar_and_no_figure():
    counts = [{"month": "2018-09", "severity": "high", "category": "ineligible_hold", "flags": 2}]
    svg = draw(counts, ["2018-09", "2018-07"])["category"]
    # July was checked and found nothing (a 0 is drawn); the other ten months were never evaluated.
    assert sorted(t for t in texts(svg) if t.isdigit()) == ["0", "2"]


def test_policy_changes_are_marked_on_both_charts_and_named_on_the_severity_chart():
    counts = [{"month": "2018-09", "severity": "high", "category": "ineligible_hold", "flags": 2}]
    change = {"month": "2018-09", "day": "2018-09-01", "title": "ICE's access to PARS ends"}
    charts = draw(counts, ["2018-08", "2018-09"], [change])
    assert "ICE's access to PARS ends (2018-09-01)" in texts(charts["severity"])
    for svg in charts.values():
        assert re.search(r'stroke-dasharray="4,\s?3"', svg), "no dashed line marks the change"
    unmarked = draw(counts, ["2018-08", "2018-09"])
    assert not any("stroke-dasharray" in svg for svg in unmarked.values())
    # A change outside the window is not drawn.
    earlier = draw(counts, ["2018-09"], [{"month": "2016-01", "day": "2016-01-04", "title": "EO 5-16"}])
    assert "stroke-dasharray" not in earlier["severity"]
