"""The rule catalog: each rule is `sql/rules/<rule_id>.sql` plus `<rule_id>.yml` metadata.

This module reads the rules, judges their metadata, derives the flag categories from them and keeps
the committed version lock; `compliance.rules.engine` runs them. What a rule's metadata declares:
docs/data-contract.md, "Categories".
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

import sqlglot
import yaml
from sqlglot import exp

from compliance.config import RULES_DIR
from compliance.errors import ComplianceError

SEVERITIES = ("informational", "low", "medium", "high", "critical")
STATUSES = ("experimental", "test", "stable", "deprecated")
SUBJECT_TYPES = ("detainer", "account", "access_event", "source")
# What a rule judges. Reports list detainer categories first, then access categories; within a
# domain, by each category's `report_order`.
DOMAINS = ("detainers", "access")
REQUIRED_FIELDS = ("id", "title", "category", "severity", "status", "subject_type", "domain",
                   "report_order", "plain_name", "plain_explanation", "reads", "date", "modified",
                   "description", "policy_refs", "rationale", "false_positives", "runbook", "samples")
# Fields every rule of one category must declare alike.
CATEGORY_FIELDS = ("domain", "report_order", "plain_name", "plain_explanation")
LOCK_PATH = RULES_DIR / "version.lock.json"
UPDATE_LOCK = "run `compliance rules --update-lock` and commit the lock with the rule"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    sql: str
    meta: dict = field(hash=False)
    version: str

    @property
    def category(self) -> str:
        return self.meta["category"]

    @property
    def severity(self) -> str:
        return self.meta["severity"]

    @property
    def domain(self) -> str:
        return self.meta["domain"]


@dataclass(frozen=True)
class Category:
    name: str
    domain: str
    report_order: int
    plain_name: str
    plain_explanation: str


# libyaml's safe loader where PyYAML was built with it: every stage reads the whole catalog, and the
# pure-Python one takes a tenth of a second for it.
RULE_META_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    rules = []
    for meta_path in sorted(rules_dir.glob("*.yml")):
        sql_path = meta_path.with_suffix(".sql")
        if not sql_path.is_file():
            raise ComplianceError("rule metadata without its SQL file", path=str(sql_path))
        sql = sql_path.read_text(encoding="utf-8")
        raw_meta = meta_path.read_text(encoding="utf-8")
        meta = yaml.load(raw_meta, Loader=RULE_META_LOADER)
        # rule_version: the content hash of the query and its metadata, committed in LOCK_PATH.
        version = hashlib.sha256((sql + "\0" + raw_meta).encode()).hexdigest()[:12]
        rules.append(Rule(meta_path.stem, sql, meta, version))
    return rules


# --- categories -----------------------------------------------------------------------------------

def declared_categories(rules: list[Rule]) -> dict[str, Category]:
    """Every category the rules declare, in report order: by domain (DOMAINS), then report_order.
    The first rule of a category speaks for it; the lint keeps the others consistent."""
    found: dict[str, Category] = {}
    for rule in rules:
        found.setdefault(rule.category, Category(rule.category, **{key: rule.meta[key] for key in CATEGORY_FIELDS}))
    return dict(sorted(found.items(), key=lambda item: (DOMAINS.index(item[1].domain), item[1].report_order)))


@cache
def catalog_categories() -> Mapping[str, Category]:
    """The categories of the rules in sql/rules, in report order (read once per process)."""
    return MappingProxyType(declared_categories(load_rules()))


# --- what a rule's SQL reads ----------------------------------------------------------------------

@cache
def _parsed(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def relations_named(sql: str) -> set[str]:
    """The tables and views a query names, its own CTEs aside."""
    tree = _parsed(sql)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {table.name for table in tree.find_all(exp.Table)} - ctes


def _json_keys_above(node: exp.Expression) -> list[str]:
    """The keys of the `->` / `->>` chain applied to node: pack_setting('thresholds') -> 'a' -> 'b'."""
    keys, parent = [], node.parent
    while isinstance(parent, (exp.Paren, exp.JSONExtract, exp.JSONExtractScalar)):
        if not isinstance(parent, exp.Paren):
            keys += [key.name for key in parent.expression.find_all(exp.JSONPathKey)]
        parent = parent.parent
    return keys


def thresholds_named(sql: str) -> set[str]:
    """The pack thresholds (`<block>.<name>`) a query names, as `threshold('block', 'name')` or as
    `pack_setting('thresholds') -> 'block' -> 'name'` (the two ways sql/views/00_macros.sql offers)."""
    found = set()
    for call in _parsed(sql).find_all(exp.Anonymous):
        texts = [arg.name for arg in call.expressions if isinstance(arg, exp.Literal) and arg.is_string]
        if call.name.lower() == "threshold" and len(texts) == 2:
            found.add(".".join(texts))
        elif call.name.lower() == "pack_setting" and texts == ["thresholds"]:
            keys = _json_keys_above(call)
            if len(keys) >= 2:
                found.add(".".join(keys[:2]))
    return found


@cache
def installed_relations() -> Mapping[str, str | None]:
    """Every table and view a rule's SQL can name, as a warehouse has them once the policy pack and
    the shared views are installed (sql/schema/, the pack's policy tables, sql/views/): a view's
    SQL, None for a table."""
    from compliance.policy.pack import load_pack
    from compliance.rules.views import install_views
    from compliance.warehouse import memory

    con = memory()
    try:
        install_views(con, load_pack())
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        views = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall()
    finally:
        con.close()
    return MappingProxyType({name: None for (name,) in tables} | dict(views))


def thresholds_read(sql: str) -> set[str]:
    """The pack thresholds a query depends on: those it names and those of the views it reads,
    all the way down."""
    relations = installed_relations()
    found, seen, pending = thresholds_named(sql), set(), list(relations_named(sql))
    while pending:
        name = pending.pop()
        view_sql = relations.get(name)
        if name in seen or view_sql is None:
            continue
        seen.add(name)
        found |= thresholds_named(view_sql)
        pending += relations_named(view_sql) - {name}
    return found


@cache
def pack_threshold_keys() -> frozenset[str]:
    """`<block>.<name>` of every threshold the default policy pack sets."""
    from compliance.policy.pack import load_pack

    blocks = load_pack().data.get("thresholds") or {}
    return frozenset(f"{block}.{name}" for block, values in blocks.items() for name in values)


# --- the lint -------------------------------------------------------------------------------------

def rule_metadata_problems(rule: Rule) -> list[str]:
    """The repo-wide lint: everything a rule must declare (Sigma/Elastic style)."""
    meta, problems = rule.meta or {}, []
    for key in REQUIRED_FIELDS:
        if not meta.get(key):
            problems.append(f"{rule.rule_id}: field {key} is missing or empty")
    if meta.get("severity") not in SEVERITIES:
        problems.append(f"{rule.rule_id}: severity {meta.get('severity')!r} not in {SEVERITIES}")
    if meta.get("status") not in STATUSES:
        problems.append(f"{rule.rule_id}: status {meta.get('status')!r} not in {STATUSES}")
    if meta.get("subject_type") not in SUBJECT_TYPES:
        problems.append(f"{rule.rule_id}: subject_type {meta.get('subject_type')!r} not in {SUBJECT_TYPES}")
    if meta.get("domain") not in DOMAINS:
        problems.append(f"{rule.rule_id}: domain {meta.get('domain')!r} not in {DOMAINS}")
    if not isinstance(meta.get("report_order"), int) or meta["report_order"] < 1:
        problems.append(f"{rule.rule_id}: report_order must be a whole number from 1")
    problems += _date_problems(rule.rule_id, meta)
    problems += _reads_problems(rule.rule_id, rule.sql, meta)
    samples = meta.get("samples") or []
    if not any(s.get("expect") for s in samples):
        problems.append(f"{rule.rule_id}: needs at least one positive sample (expect: [ids])")
    if not any(s.get("expect") == [] for s in samples):
        problems.append(f"{rule.rule_id}: needs at least one negative sample (expect: [])")
    for sample in samples:
        for key in ("name", "month", "tables"):
            if key not in sample:
                problems.append(f"{rule.rule_id}: a sample lacks {key}")
    return problems


def _date_problems(rule_id: str, meta: dict) -> list[str]:
    created, modified = meta.get("date"), meta.get("modified")
    problems = [f"{rule_id}: {key} must be an ISO date (YYYY-MM-DD)"
                for key, value in (("date", created), ("modified", modified))
                if value and not isinstance(value, dt.date)]
    if not problems and created and modified and modified < created:
        problems.append(f"{rule_id}: modified {modified} is before date {created}")
    return problems


def _reads_problems(rule_id: str, sql: str, meta: dict) -> list[str]:
    """`reads` and `thresholds` must say what the SQL reads, and name things that exist."""
    problems = []
    try:
        named, thresholds = relations_named(sql), thresholds_read(sql)
    except sqlglot.errors.ParseError as exc:
        return [f"{rule_id}: the SQL cannot be parsed to check reads and thresholds: {exc}"]
    reads, declared_thresholds = set(meta.get("reads") or []), set(meta.get("thresholds") or [])
    if reads != named:
        problems.append(f"{rule_id}: reads must list the tables and views the SQL names: "
                        f"{sorted(named)}")
    unknown = sorted(reads - set(installed_relations()))
    if unknown:
        problems.append(f"{rule_id}: reads names no table or view of the warehouse: {unknown}")
    if declared_thresholds != thresholds:
        problems.append(f"{rule_id}: thresholds must list the pack thresholds the SQL and the "
                        f"views it reads use: {sorted(thresholds)}")
    unset = sorted(declared_thresholds - pack_threshold_keys())
    if unset:
        problems.append(f"{rule_id}: thresholds names keys the policy pack does not set: {unset}")
    return problems


def catalog_problems(rules: list[Rule]) -> list[str]:
    """What no single rule shows: the rules of one category declare it alike, and no two
    categories of a domain share a report_order."""
    problems, first_of = [], {}
    for rule in rules:
        first = first_of.setdefault(rule.category, rule)
        for key in CATEGORY_FIELDS:
            if rule.meta.get(key) != first.meta.get(key):
                problems.append(f"{rule.rule_id}: {key} of category {rule.category} differs from "
                                f"{first.rule_id}'s")
    places: dict[tuple, str] = {}
    for category, rule in first_of.items():
        place = (rule.meta.get("domain"), rule.meta.get("report_order"))
        if place in places:
            problems.append(f"categories {places[place]} and {category} share report_order "
                            f"{place[1]} in domain {place[0]}")
        places.setdefault(place, category)
    return problems


# --- the version lock -----------------------------------------------------------------------------

def read_lock(path: Path = LOCK_PATH) -> dict[str, str]:
    """rule id -> the version (content hash) committed in the lock."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def write_lock(rules: list[Rule], path: Path = LOCK_PATH) -> None:
    versions = {rule.rule_id: rule.version for rule in sorted(rules, key=lambda r: r.rule_id)}
    path.write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")


def lock_problems(rules: list[Rule], lock: dict[str, str]) -> list[str]:
    """A rule whose content changed without its lock entry (a silent change of what flags mean)."""
    problems = []
    for rule in rules:
        if rule.rule_id not in lock:
            problems.append(f"{rule.rule_id}: not in the version lock: {UPDATE_LOCK}")
        elif lock[rule.rule_id] != rule.version:
            problems.append(f"{rule.rule_id}: version {rule.version} differs from the locked "
                            f"{lock[rule.rule_id]}: {UPDATE_LOCK}")
    for rule_id in sorted(set(lock) - {rule.rule_id for rule in rules}):
        problems.append(f"{rule_id}: locked, but there is no such rule: {UPDATE_LOCK}")
    return problems


def pack_exemption_problems(pack_data: dict, rules: list[Rule]) -> list[str]:
    """A pack's `service_accounts[].exempt_from` naming a rule the catalog does not have, or the
    rule that judges service accounts itself (docs/policy-packs.md, "Service accounts")."""
    known = {rule.rule_id for rule in rules}
    problems = []
    entries = pack_data.get("service_accounts") if isinstance(pack_data, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        for rule_id in (entry.get("exempt_from") or []) if isinstance(entry, dict) else []:
            if rule_id == "service_account_misuse":
                problems.append(f"field service_accounts[{index}].exempt_from: no account is exempt from "
                                "service_account_misuse, the rule that judges service accounts")
            elif rule_id not in known:
                problems.append(f"field service_accounts[{index}].exempt_from: no rule {rule_id!r} in sql/rules")
    return problems
