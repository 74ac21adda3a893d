"""The rule catalog: each rule is `sql/rules/<rule_id>.sql` plus `<rule_id>.yml` metadata.

This module reads the rules and judges their metadata; `compliance.rules.engine` runs them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compliance.config import RULES_DIR
from compliance.errors import ComplianceError

SEVERITIES = ("informational", "low", "medium", "high", "critical")
STATUSES = ("experimental", "test", "stable", "deprecated")
SUBJECT_TYPES = ("detainer", "account", "access_event", "source")
CATEGORIES = (
    "ineligible_hold", "ineligible_notice", "no_judicial_warrant", "hold_over_limit",
    "unrecorded_transfer", "needs_review",
    "access_outside_agreement", "missing_purpose", "birthplace_search", "name_fishing", "bulk_access",
    "volume_spike", "off_hours", "non_arrest_subject", "shared_account", "failed_logins",
    "unauthorized_write", "export", "log_gap", "audit_tamper",
)


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


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    rules = []
    for meta_path in sorted(rules_dir.glob("*.yml")):
        sql_path = meta_path.with_suffix(".sql")
        if not sql_path.is_file():
            raise ComplianceError("rule metadata without its SQL file", path=str(sql_path))
        sql = sql_path.read_text(encoding="utf-8")
        raw_meta = meta_path.read_text(encoding="utf-8")
        meta = yaml.safe_load(raw_meta)
        # rule_version: the content hash of the query and its metadata (Elastic-style version lock).
        version = hashlib.sha256((sql + "\0" + raw_meta).encode()).hexdigest()[:12]
        rules.append(Rule(meta_path.stem, sql, meta, version))
    return rules


def rule_metadata_problems(rule: Rule) -> list[str]:
    """The repo-wide lint: everything a rule must declare (Sigma/Elastic style)."""
    meta, problems = rule.meta or {}, []
    for key in ("id", "title", "category", "severity", "status", "subject_type", "description",
                "policy_refs", "rationale", "false_positives", "runbook", "samples"):
        if not meta.get(key):
            problems.append(f"{rule.rule_id}: field {key} is missing or empty")
    if meta.get("category") not in CATEGORIES:
        problems.append(f"{rule.rule_id}: category {meta.get('category')!r} is not a DESIGN.md category")
    if meta.get("severity") not in SEVERITIES:
        problems.append(f"{rule.rule_id}: severity {meta.get('severity')!r} not in {SEVERITIES}")
    if meta.get("status") not in STATUSES:
        problems.append(f"{rule.rule_id}: status {meta.get('status')!r} not in {STATUSES}")
    if meta.get("subject_type") not in SUBJECT_TYPES:
        problems.append(f"{rule.rule_id}: subject_type {meta.get('subject_type')!r} not in {SUBJECT_TYPES}")
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
