"""Everything the month's reports show, read from the warehouse in one short visit.

Whatever the month's flag count, what is read here is bounded: flags are counted and digested in
SQL and only the first `flags_detailed_per_rule` of each rule come out as rows (the exports are
written by DuckDB, compliance/reports/exports.py).

`collect` returns plain JSON-ready values (timestamps as ISO 8601 UTC strings), so that the same
structure feeds every renderer, the fingerprint that decides whether a re-run is a new version,
and the manifest. Queries live in `sql/reports/`, one per file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess

import duckdb

from compliance import queries
from compliance.config import REPO_ROOT
from compliance.months import month_bounds, next_month, previous_month, trailing_months
from compliance.policy.pack import PolicyPack
from compliance.reports.options import ReportOptions
from compliance.reports.quality import quality_section
from compliance.rules.catalog import Rule

TREND_MONTHS = 12
# Accounts without a volume baseline that the IG report lists by name (all are counted).
LISTED_UNJUDGED_ACCOUNTS = 25


def code_version() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return version("compliance")


# Around the month, local times are reckoned without a zone lookup per row (`scope_local_time`):
# as far back as a volume baseline reaches, and a week on.
LOCAL_TIME_BEFORE, LOCAL_TIME_AFTER = dt.timedelta(days=62), dt.timedelta(days=7)


def rule_summary(rule: Rule) -> dict:
    meta = rule.meta or {}
    return {"rule_id": rule.rule_id, "version": rule.version, "title": meta.get("title"),
            "category": meta.get("category"), "severity": meta.get("severity"),
            "status": meta.get("status"), "policy_refs": list(meta.get("policy_refs") or []),
            "runbook": meta.get("runbook")}


def collect(con: duckdb.DuckDBPyConnection, month: str, pack: PolicyPack, options: ReportOptions,
            rules: list[Rule]) -> dict:
    from compliance.rules.views import install_views, scope_local_time

    install_views(con, pack)  # temp views only: the rules' views that some report queries read
    start, end = month_bounds(month, pack.timezone)
    # The month's events and the weeks around it, which the coverage and volume queries read.
    scope_local_time(con, start - LOCAL_TIME_BEFORE, end + LOCAL_TIME_AFTER)
    months = trailing_months(month, TREND_MONTHS)
    params = {"month": month, "month_start": start, "month_end": end, "tz": pack.timezone,
              "first_month": months[0], "per_rule": options.flags_detailed_per_rule,
              "listed": LISTED_UNJUDGED_ACCOUNTS}
    flags = queries.rows(con, "reports/flags_month", params)
    for flag in flags:
        evidence = json.loads(flag["evidence"]) if flag["evidence"] else {}
        flag["evidence"] = evidence if isinstance(evidence, dict) else {"value": evidence}
    statutory_rows = queries.rows(con, "reports/illinois_trust_act", params)
    return {
        "month": month,
        "month_start": queries.plain(start),
        "month_end": queries.plain(end),
        "next_month": next_month(month),
        "previous_month": previous_month(month),
        "trend_months": months,
        "timezone": pack.timezone,
        "policy": {"name": pack.name, "version": pack.version, "sha256": pack.sha256,
                   "paper_size": pack.paper_size},
        # Changes of the rules in force within the trend window: the charts mark them.
        "policy_changes": [{"day": change["day"].isoformat(), "month": change["day"].strftime("%Y-%m"),
                            "title": change["title"], "citation": change["citation"]}
                           for change in pack.policy_changes()
                           if months[0] <= change["day"].strftime("%Y-%m") <= month],
        "code_version": code_version(),
        # The pack's suppression rule unless the run overrides its threshold.
        "options": {**options.as_dict(), "suppress_below": options.suppress_below
                    or pack.committee_suppression["suppress_below"]},
        "suppression": pack.committee_suppression,
        "rules": [rule_summary(rule) for rule in rules if (rule.meta or {}).get("status") != "deprecated"],
        # Only the first flags of each rule are detailed; the counts and the digest cover all.
        "flags": flags,
        "flag_rules": queries.rows(con, "reports/flag_rules", params),
        "incident_subjects": queries.rows(con, "reports/incident_subjects", params),
        "detainers": queries.rows(con, "reports/detainers_in_month", params)[0],
        "flags_digest": queries.rows(con, "reports/flags_digest", params)[0],
        "flag_counts": queries.rows(con, "reports/flag_counts", params),
        "month_status": queries.rows(con, "reports/month_status", params),
        "coverage": queries.rows(con, "reports/coverage_tables", params),
        "days": queries.rows(con, "reports/coverage_days", params),
        "batches": queries.rows(con, "reports/batches_summary", params),
        "quarantine": queries.rows(con, "reports/quarantine_summary", params),
        "validation": queries.rows(con, "reports/validation_results", params),
        "volume_unjudged": queries.rows(con, "reports/volume_unjudged", params),
        "quality": quality_section(con, month, pack),
        "completeness": {"has_data": queries.rows(con, "reports/month_has_data", params)[0]["has_data"],
                         "sources": queries.rows(con, "reports/source_coverage", params)},
        "illinois": statutory_rows,
        "nyc": queries.rows(con, "reports/nyc_detainers", params)[0],
        "detainers_by_charge": queries.rows(con, "reports/detainers_by_charge", params)[0],
    }


def digest(value) -> str:
    """sha256 of a JSON-ready value: of `collect`'s result, it is the fingerprint of a version
    (equal fingerprints, identical reports)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
