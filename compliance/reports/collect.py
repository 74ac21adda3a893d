"""Everything the month's reports show, read from the warehouse in one short visit.

`collect` returns plain JSON-ready values (timestamps as ISO 8601 UTC strings), so that the same
structure feeds every renderer, the fingerprint that decides whether a re-run is a new version,
and the manifest. Queries live in `sql/reports/`, one per file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
from decimal import Decimal

import duckdb

from compliance.config import REPO_ROOT, REPORT_SQL_DIR
from compliance.months import month_bounds, next_month, previous_month
from compliance.policy.pack import PolicyPack
from compliance.quality.report import quality_section
from compliance.reports.options import ReportOptions
from compliance.rules.engine import Rule

TREND_MONTHS = 12


def query(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """Run `sql/reports/<name>.sql` with the parameters it names; rows as dicts of plain values."""
    sql = (REPORT_SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    named = set(re.findall(r"\$(\w+)", sql))
    cursor = con.execute(sql, {k: v for k, v in params.items() if k in named})
    names = [d[0] for d in cursor.description]
    return [{k: plain(v) for k, v in zip(names, row)} for row in cursor.fetchall()]


def plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def month_before(month: str) -> str:
    return previous_month(month_bounds(month, "UTC")[0], "UTC")


def trend_months(month: str, count: int = TREND_MONTHS) -> list[str]:
    """The `count` months ending with `month`, oldest first."""
    months = [month]
    while len(months) < count:
        months.insert(0, month_before(months[0]))
    return months


def code_version() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return version("compliance")


def rule_summary(rule: Rule) -> dict:
    meta = rule.meta or {}
    return {"rule_id": rule.rule_id, "version": rule.version, "title": meta.get("title"),
            "category": meta.get("category"), "severity": meta.get("severity"),
            "status": meta.get("status"), "policy_refs": list(meta.get("policy_refs") or []),
            "runbook": meta.get("runbook")}


def collect(con: duckdb.DuckDBPyConnection, month: str, pack: PolicyPack, options: ReportOptions,
            rules: list[Rule]) -> dict:
    from compliance.rules.engine import install_views

    install_views(con, pack)  # temp views only: the rules' views that some report queries read
    start, end = month_bounds(month, pack.timezone)
    months = trend_months(month)
    params = {"month": month, "month_start": start, "month_end": end, "tz": pack.timezone,
              "first_month": months[0]}
    flags = query(con, "flags_month", params)
    for flag in flags:
        evidence = json.loads(flag["evidence"]) if flag["evidence"] else {}
        flag["evidence"] = evidence if isinstance(evidence, dict) else {"value": evidence}
    statutory_rows = query(con, "illinois_trust_act", params)
    return {
        "month": month,
        "month_start": plain(start),
        "month_end": plain(end),
        "next_month": next_month(month),
        "previous_month": month_before(month),
        "trend_months": months,
        "timezone": pack.timezone,
        "policy": {"name": pack.name, "version": pack.version, "sha256": pack.sha256},
        "code_version": code_version(),
        "options": options.as_dict(),
        "rules": [rule_summary(rule) for rule in rules if (rule.meta or {}).get("status") != "deprecated"],
        "flags": flags,
        "flag_counts": query(con, "flag_counts", params),
        "month_status": query(con, "month_status", params),
        "coverage": query(con, "coverage_tables", params),
        "days": query(con, "coverage_days", params),
        "batches": query(con, "batches_summary", params),
        "quarantine": query(con, "quarantine_summary", params),
        "validation": query(con, "validation_results", params),
        "volume_unjudged": query(con, "volume_unjudged", params),
        "quality": quality_section(con, month, pack),  # data-quality block (compliance/quality/report.py)
        "illinois": statutory_rows,
        "nyc": query(con, "nyc_detainers", params)[0],
    }


def digest(value) -> str:
    """sha256 of a JSON-ready value: of `collect`'s result, it is the fingerprint of a version
    (equal fingerprints, identical reports)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
