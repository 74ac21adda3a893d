"""Every rule against its own samples (Panther-style), and the repo-wide rule lint (Elastic-style)."""
import uuid

import pytest

from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules, rule_metadata_problems
from compliance.rules.engine import sample_flags

RULES = load_rules()
SAMPLES = [pytest.param(rule, sample, id=f"{rule.rule_id}: {sample['name']}")
           for rule in RULES for sample in rule.meta.get("samples", [])]


@pytest.fixture(scope="module")
def pack():
    return load_pack()


@pytest.mark.parametrize(("rule", "sample"), SAMPLES)
def test_rule_sample(rule, sample, pack):
    assert sample_flags(rule, sample, pack) == sorted(str(s) for s in sample["expect"])


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.rule_id)
def test_rule_lint(rule):
    assert rule_metadata_problems(rule) == []
    assert str(uuid.UUID(rule.meta["id"])) == rule.meta["id"]


def test_rule_ids_and_uuids_unique():
    assert len({r.meta["id"] for r in RULES}) == len(RULES)
    assert len({r.rule_id for r in RULES}) == len(RULES)


def test_lint_catches_a_rule_without_negative_sample():
    rule = RULES[0]
    broken = type(rule)(rule.rule_id, rule.sql, {**rule.meta, "samples": [
        s for s in rule.meta["samples"] if s["expect"]]}, rule.version)
    assert any("negative sample" in p for p in rule_metadata_problems(broken))
