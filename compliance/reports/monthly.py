"""The monthly inspector-general report: what the template shows, computed from `collect`'s data.

One template renders both forms: the HTML details at most `html_flags_per_rule` flags per rule with
their full evidence, the PDF at most `pdf_flags_per_rule`; both state how many more each rule has
and point to the CSV/Parquet exports, which carry every flag. So a month with a million flags
stays readable, quick to print and bounded in memory.
"""
from __future__ import annotations

import calendar
import json
from collections import defaultdict

from compliance.months import parse_month
from compliance.reports.categories import SEVERITY_ORDER, category_order, plain_name
from compliance.reports.render import render
from compliance.reports.statutory import NYC_MEASURES


def month_label(month: str) -> str:
    year, mon = parse_month(month)
    return f"{calendar.month_name[mon]} {year}"


def evaluated_months(data: dict) -> set[str]:
    return {row["month"] for row in data["month_status"] if row["evaluated"]}


def counts_by(data: dict, *keys: str) -> dict[tuple, int]:
    """Flag counts over the trend window, summed by the given columns of `flag_counts`."""
    totals: dict[tuple, int] = defaultdict(int)
    for row in data["flag_counts"]:
        totals[tuple(row[k] for k in keys)] += row["flags"]
    return totals


def summary(data: dict) -> dict:
    month, previous = data["month"], data["previous_month"]
    per = counts_by(data, "month", "category", "severity")
    per_category = counts_by(data, "month", "category")
    categories = category_order({r["category"] for r in data["rules"]} | {k[1] for k in per})
    evaluated = evaluated_months(data)
    previous_known = previous in evaluated
    rows = []
    for category in categories:
        current = per_category.get((month, category), 0)
        before = per_category.get((previous, category), 0) if previous_known else None
        rows.append({
            "category": category, "name": plain_name(category),
            "by_severity": {s: per.get((month, category, s), 0) for s in SEVERITY_ORDER},
            "total": current, "previous": before,
            "change": None if before is None else current - before,
        })
    total = sum(r["total"] for r in rows)
    total_previous = sum(r["previous"] for r in rows) if previous_known else None
    return {
        # A category with no flag in either month is named once, not given a row of zeros.
        "rows": [r for r in rows if r["total"] or r["previous"]],
        "quiet": [r["category"] for r in rows if not r["total"] and not r["previous"]],
        "severity_totals": {s: sum(r["by_severity"][s] for r in rows) for s in SEVERITY_ORDER},
        "total": total,
        "previous_month": previous,
        "previous_evaluated": previous_known,
        "total_previous": total_previous,
        "total_change": None if total_previous is None else total - total_previous,
    }


def trend(data: dict) -> dict:
    months = data["trend_months"]
    evaluated = evaluated_months(data)
    per = counts_by(data, "month", "category")
    categories = category_order({k[1] for k in per})
    status = {row["month"]: row for row in data["month_status"]}
    return {
        "months": months,
        "evaluated": evaluated,
        "incomplete": {m for m, row in status.items() if row["blocking_failures"]},
        "rows": [{"category": c, "name": plain_name(c),
                  "counts": {m: per.get((m, c), 0) if m in evaluated else None for m in months}}
                 for c in categories],
        "totals": {m: sum(per.get((m, c), 0) for c in categories) if m in evaluated else None
                   for m in months},
    }


EVIDENCE_SHOWN_APART = ("reason", "policy_citation", "source_lines")


def _compact(evidence: dict) -> list[tuple[str, str]]:
    """The evidence facts not shown in their own rows, each value as one line of JSON."""
    return [(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))
            for key, value in sorted(evidence.items())
            if key not in EVIDENCE_SHOWN_APART and value not in (None, "", [], {})]


def _sources(evidence: dict) -> list[str]:
    lines = evidence.get("source_lines")
    if not isinstance(lines, list):
        return []
    return [f"{s.get('file')}, line {s.get('line')}" if isinstance(s, dict) else str(s) for s in lines]


def rule_groups(data: dict, cap: int) -> list[dict]:
    """Flags grouped by rule, most severe rules first, each with its count over the whole month
    and at most `cap` flags detailed (the first by time)."""
    rules = {r["rule_id"]: r for r in data["rules"]}
    detailed: dict[str, list[dict]] = defaultdict(list)
    for flag in data["flags"]:
        detailed[flag["rule_id"]].append(flag)
    order = category_order({r["category"] for r in data["flag_rules"]})
    groups = []
    for counted in data["flag_rules"]:
        rule_id = counted["rule_id"]
        rule = rules.get(rule_id) or {
            "rule_id": rule_id, "version": None, "title": "(rule no longer in sql/rules/)",
            "category": counted["category"], "severity": counted["severity"], "status": "removed",
            "policy_refs": [], "runbook": None}
        shown = detailed[rule_id][:cap]
        groups.append({
            "rule": rule,
            "count": counted["flags"],
            "versions": counted["versions"],
            "hidden": counted["flags"] - len(shown),
            "flags": [{**f, "sources": _sources(f["evidence"]), "facts": _compact(f["evidence"]),
                       "citation": f["policy_citation"] or "; ".join(rule["policy_refs"])}
                      for f in shown],
        })
    groups.sort(key=lambda g: (SEVERITY_ORDER.index(g["rule"]["severity"])
                               if g["rule"]["severity"] in SEVERITY_ORDER else len(SEVERITY_ORDER),
                               order.index(g["rule"]["category"]) if g["rule"]["category"] in order
                               else len(order), g["rule"]["rule_id"]))
    return groups


def render_ig(data: dict, *, manifest: dict, changes: dict | None, charts: dict, files: dict,
              generated_at: str, pdf: bool) -> str:
    from markupsafe import Markup

    cap = data["options"]["pdf_flags_per_rule" if pdf else "html_flags_per_rule"]
    return render(
        "ig_report.html.j2",
        data=data, month_label=month_label(data["month"]), manifest=manifest, changes=changes,
        summary=summary(data), trend=trend(data), groups=rule_groups(data, cap),
        charts={k: Markup(v) for k, v in charts.items()}, files=files, generated_at=generated_at,
        pdf=pdf, severities=SEVERITY_ORDER, nyc_measures=NYC_MEASURES, plain_name=plain_name,
        month_name=month_label)
