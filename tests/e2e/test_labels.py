"""Ground truth: on generated data, the implemented rules flag exactly what was planted."""
import json
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules
from compliance.rules.engine import evaluate_month
from compliance.sources.canonical import ingest_landing
from compliance.synth import generate

SEEDS = (1, 2, 3)
# Months where the rules' hard cases live: EO 1-14's first day (2014-04-16), the December 2015 order
# and EO 5-16's first days, the end of ICE's PARS access (2018-08/09), and a recent month.
RANGES = (("2014-04", "2014-04"), ("2015-12", "2016-01"), ("2018-08", "2018-09"), ("2026-10", "2026-10"))
IMPLEMENTED = sorted({rule.category for rule in load_rules()})


def labels_of(landing: Path) -> list[dict]:
    return [json.loads(line) for line in (landing / "labels.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def pack():
    return load_pack()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("first", "last"), RANGES, ids=[f"{a}..{b}" for a, b in RANGES])
def test_flags_equal_labels(seed, first, last, pack, tmp_path):
    landing = tmp_path / "landing"
    generate(landing, first, last, seed)
    labels = labels_of(landing)
    con = warehouse.memory()
    ingest_landing(con, landing, pack.timezone)
    months = sorted({label["month"] for label in labels})
    for month in months:
        evaluate_month(con, pack, month)
    flags = con.execute("SELECT category, subject_type, subject_id, month FROM flags").fetchall()
    flagged = {(category, subject_type, subject_id) for category, subject_type, subject_id, _ in flags}
    expected = {(category, label["subject_type"], label["subject_id"])
                for label in labels for category in label["categories"] if category in IMPLEMENTED}
    assert expected, "the generator planted no case of an implemented rule"
    assert sorted(flagged - expected) == [], "extras: flagged but not planted"
    assert sorted(expected - flagged) == [], "misses: planted but not flagged"
    # Near misses raise nothing in their month (an account can be a near miss one month and
    # rightly flagged for another pattern in another month).
    near_misses = {(label["subject_type"], label["subject_id"], label["month"])
                   for label in labels if label["kind"] == "near_miss"}
    violations = {(label["subject_type"], label["subject_id"], label["month"])
                  for label in labels if label["categories"]}
    assert near_misses, "the generator planted no near miss"
    flagged_in_month = {(subject_type, subject_id, month) for _, subject_type, subject_id, month in flags}
    assert sorted((flagged_in_month & near_misses) - violations) == []
    con.close()
