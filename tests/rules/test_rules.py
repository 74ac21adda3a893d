"""Every rule against its own samples (Panther-style); the rule lint is tests/rules/test_catalog.py."""
import pytest

from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules
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
