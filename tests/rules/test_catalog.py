"""The repo-wide rule lint (Elastic-style): every rule declares what it must, the committed version
lock matches the rules, and the categories agree wherever they are named: the rules, the report
labels, the synthetic generator and docs/data-contract.md."""
import re
import uuid

import pytest

from compliance.config import REPO_ROOT
from compliance.reports.categories import plain_name
from compliance.rules.catalog import (catalog_categories, catalog_problems, load_rules, lock_problems,
                                      read_lock, rule_metadata_problems, write_lock)
from compliance.synth import PLANTED_CATEGORIES

RULES = load_rules()


def changed(rule, **meta):
    return type(rule)(rule.rule_id, rule.sql, {**rule.meta, **meta}, rule.version)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.rule_id)
def test_rule_lint(rule):
    assert rule_metadata_problems(rule) == []
    assert str(uuid.UUID(rule.meta["id"])) == rule.meta["id"]


def test_rule_ids_and_uuids_unique():
    assert len({r.meta["id"] for r in RULES}) == len(RULES)
    assert len({r.rule_id for r in RULES}) == len(RULES)


def test_lint_catches_a_rule_without_negative_sample():
    rule = RULES[0]
    broken = changed(rule, samples=[s for s in rule.meta["samples"] if s["expect"]])
    assert any("negative sample" in p for p in rule_metadata_problems(broken))


def test_lint_catches_reads_and_thresholds_that_are_not_what_the_sql_reads():
    [rule] = [r for r in RULES if r.rule_id == "volume_spike"]
    problems = rule_metadata_problems(changed(rule, reads=["volume_baselines", "no_such_view"],
                                              thresholds=["volume_spike.factor", "volume_spike.nothing"]))
    assert any("reads must list" in p for p in problems)
    assert any("no table or view of the warehouse: ['no_such_view']" in p for p in problems)
    # min_history_days is read by the volume_baselines view, not by the rule's own SQL.
    assert any("thresholds must list" in p and "volume_spike.min_history_days" in p for p in problems)
    assert any("the policy pack does not set: ['volume_spike.nothing']" in p for p in problems)


def test_lint_catches_a_missing_plain_name_and_a_date_that_is_not_one():
    problems = rule_metadata_problems(changed(RULES[0], plain_name="", modified="yesterday"))
    assert f"{RULES[0].rule_id}: field plain_name is missing or empty" in problems
    assert f"{RULES[0].rule_id}: modified must be an ISO date (YYYY-MM-DD)" in problems


def test_categories_are_declared_consistently():
    assert catalog_problems(RULES) == []
    twin = changed(RULES[1], category=RULES[0].category)
    assert any("differs from" in p for p in catalog_problems([RULES[0], twin]))
    same_place = changed(RULES[1], domain=RULES[0].domain, report_order=RULES[0].meta["report_order"])
    assert any("share report_order" in p for p in catalog_problems([RULES[0], same_place]))


def test_the_version_lock_matches_the_rules():
    assert lock_problems(RULES, read_lock()) == []


def test_a_rule_changed_without_its_lock_says_how_to_update_it(tmp_path):
    lock = tmp_path / "version.lock.json"
    write_lock(RULES, lock)
    assert lock_problems(RULES, read_lock(lock)) == []
    edited = type(RULES[0])(RULES[0].rule_id, RULES[0].sql, RULES[0].meta, "000000000000")
    assert lock_problems([edited, *RULES[1:]], read_lock(lock)) == [
        f"{RULES[0].rule_id}: version 000000000000 differs from the locked {RULES[0].version}: "
        "run `compliance rules --update-lock` and commit the lock with the rule"]
    assert lock_problems(RULES[1:], read_lock(lock)) == [
        f"{RULES[0].rule_id}: locked, but there is no such rule: "
        "run `compliance rules --update-lock` and commit the lock with the rule"]


def test_every_category_has_a_report_label():
    for category, declared in catalog_categories().items():
        assert declared.plain_name and declared.plain_explanation
        assert plain_name(category) == declared.plain_name


def test_every_planted_category_is_a_rule_category():
    assert sorted(set(PLANTED_CATEGORIES) - set(catalog_categories())) == []


def test_the_data_contract_lists_the_categories_in_report_order():
    text = (REPO_ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    section = text.split("\n### Categories\n", 1)[1].split("\n#", 1)[0]
    listed = re.findall(r"^\| `(\w+)` \| (\w+) \| (.+?) \|$", section, re.MULTILINE)
    assert listed == [(c.name, c.domain, c.plain_name) for c in catalog_categories().values()]
