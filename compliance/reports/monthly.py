"""The monthly inspector-general report: what the template shows, computed from `collect`'s data.

One template renders both forms: the HTML details at most `html_flags_per_rule` flags per rule with
their full evidence, the PDF at most `pdf_flags_per_rule`; both state how many more each rule has
and point to the CSV/Parquet exports, which carry every flag. So a month with a million flags
stays readable, quick to print and bounded in memory.
"""
from __future__ import annotations

from collections import defaultdict

from compliance.reports.categories import SEVERITY_ORDER, category_order, domain_of, plain_name
from compliance.reports.i18n import SOURCE_LOCALE, month_name
from compliance.reports.plain import file_names, plain_evidence, zone_abbreviation
from compliance.reports.render import render
from compliance.reports.statutory import NYC_MEASURES


def month_label(month: str) -> str:
    return month_name(month, SOURCE_LOCALE)


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


# The first page names the access checks that found most (most severe first), each with the
# account or source it flagged most, and this many detainers per detainer check; the rest are
# counted there and found in the flags section and the exports.
BRIEF_ACCESS_CHECKS = 5
BRIEF_DETAINERS_NAMED = 12


def _severity_rank(severity) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def comparison(data: dict, domain: str) -> dict:
    """The domain's flags this month against the previous month, the average of the months before
    in the trend window that were evaluated, and the year to date (evaluated months only)."""
    month, months = data["month"], data["trend_months"]
    evaluated = evaluated_months(data)
    per = counts_by(data, "month", "category")

    def total(m: str) -> int:
        return sum(v for (mm, category), v in per.items() if mm == m and domain_of(category) == domain)

    before = [m for m in months if m < month and m in evaluated]
    year = [m for m in months if m[:4] == month[:4] and m <= month and (m in evaluated or m == month)]
    return {"current": total(month),
            "previous": total(data["previous_month"]) if data["previous_month"] in evaluated else None,
            "average": round(sum(total(m) for m in before) / len(before), 1) if before else None,
            "average_months": len(before), "average_from": before[0] if before else None,
            "year_to_date": sum(total(m) for m in year), "year": month[:4]}


def brief(data: dict) -> dict:
    """The first page: every detainer check that found something, with its denominator and the
    detainers it names; the access incidents that need attention first; and the comparisons."""
    rules = {r["rule_id"]: r for r in data["rules"]}
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for row in data["incident_subjects"]:
        by_rule[row["rule_id"]].append(row)
    order = category_order({row["category"] for row in data["incident_subjects"]})

    def rule_key(rule_id: str):
        first = by_rule[rule_id][0]
        return (_severity_rank(first["severity"]), order.index(first["category"]), rule_id)

    detainer_checks = []
    for rule_id in sorted((r for r in by_rule if domain_of(by_rule[r][0]["category"]) == "detainers"), key=rule_key):
        rows = by_rule[rule_id]
        named = [row["subject_id"] for row in rows[:BRIEF_DETAINERS_NAMED]]
        detainer_checks.append({
            "rule_id": rule_id, "category": rows[0]["category"], "name": plain_name(rows[0]["category"]),
            "title": (rules.get(rule_id) or {}).get("title") or rule_id, "severity": rows[0]["severity"],
            "detainers": rows[0]["rule_subjects"], "named": named, "more": rows[0]["rule_subjects"] - len(named)})
    flag_counts = {row["rule_id"]: row["flags"] for row in data["flag_rules"]}
    access = [rule_id for rule_id in by_rule if domain_of(by_rule[rule_id][0]["category"]) == "access"]
    access.sort(key=lambda r: (_severity_rank(by_rule[r][0]["severity"]), -flag_counts.get(r, 0), r))
    access_checks = []
    for rule_id in access[:BRIEF_ACCESS_CHECKS]:
        top = by_rule[rule_id][0]  # the subject with the most flags (incident_subjects.sql)
        access_checks.append({**top, "name": plain_name(top["category"]), "rule_flags": flag_counts.get(rule_id, 0),
                              "others": top["rule_subjects"] - 1,
                              "other_flags": flag_counts.get(rule_id, 0) - top["flags"]})
    return {
        "detainers": data["detainers"],
        "detainer_checks": detainer_checks,
        "access_checks": access_checks,
        "access_checks_more": len(access) - len(access_checks),
        "access_incidents": sum(by_rule[r][0]["rule_incidents"] for r in access),
        "access_subjects": sum(by_rule[r][0]["rule_subjects"] for r in access),
        "compare": {domain: comparison(data, domain) for domain in ("detainers", "access")},
    }


def rule_groups(data: dict, cap: int) -> list[dict]:
    """Flags grouped by rule, most severe rules first, each with its count over the whole month,
    its incidents by subject (at most `cap` subjects) and at most `cap` flags detailed (the first
    by time), their evidence in plain words."""
    rules = {r["rule_id"]: r for r in data["rules"]}
    detailed: dict[str, list[dict]] = defaultdict(list)
    for flag in data["flags"]:
        detailed[flag["rule_id"]].append(flag)
    subjects: dict[str, list[dict]] = defaultdict(list)
    for row in data["incident_subjects"]:
        subjects[row["rule_id"]].append(row)
    files = file_names(data["batches"])
    order = category_order({r["category"] for r in data["flag_rules"]})
    groups = []
    for counted in data["flag_rules"]:
        rule_id = counted["rule_id"]
        rule = rules.get(rule_id) or {
            "rule_id": rule_id, "version": None, "title": "(rule no longer in sql/rules/)",
            "category": counted["category"], "severity": counted["severity"], "status": "removed",
            "policy_refs": [], "runbook": None}
        shown = detailed[rule_id][:cap]
        rule_subjects = subjects[rule_id]
        groups.append({
            "rule": rule,
            "count": counted["flags"],
            "versions": counted["versions"],
            "hidden": counted["flags"] - len(shown),
            "subjects": rule_subjects[:cap],
            "subject_count": rule_subjects[0]["rule_subjects"] if rule_subjects else 0,
            "incidents": rule_subjects[0]["rule_incidents"] if rule_subjects else 0,
            "flags": [{**f, "plain": plain_evidence(f["evidence"], data["timezone"], files),
                       "citation": f["policy_citation"] or "; ".join(rule["policy_refs"])}
                      for f in shown],
        })
    groups.sort(key=lambda g: (domain_of(g["rule"]["category"]) != "detainers",
                               _severity_rank(g["rule"]["severity"]),
                               order.index(g["rule"]["category"]) if g["rule"]["category"] in order
                               else len(order), g["rule"]["rule_id"]))
    return groups


def check_summary(validation: list[dict]) -> list[dict]:
    """The month's data-quality results per table: checks, passed, blocking failures, warnings."""
    tables: dict[str, dict] = {}
    for v in validation:
        t = tables.setdefault(v["table_name"], {"table_name": v["table_name"], "checks": 0, "passed": 0,
                                                "blocking_failed": 0, "warnings": 0})
        t["checks"] += 1
        t["passed"] += bool(v["success"])
        t["blocking_failed"] += bool(v["blocking"] and not v["success"])
        t["warnings"] += bool(not v["blocking"] and not v["success"])
    return list(tables.values())


def review_section(data: dict, review: dict | None) -> dict | None:
    """The review as the IG report shows it: progress, sign-off, exceptions, and each rule's
    precision with its title (`review`: compliance/review/state.py, `summary`)."""
    if review is None:
        return None
    titles = {r["rule_id"]: r["title"] for r in data["rules"]}
    return {**review, "precision": [{**row, "title": titles.get(row["rule_id"]) or row["rule_id"]}
                                    for row in review["precision"]],
            "exceptions": [x for x in review["exceptions"] if x["flags"] or x["in_force"]]}


def render_ig(data: dict, *, manifest: dict, changes: dict | None, charts: dict, files: dict,
              generated_at: str, pdf: bool, review: dict | None = None) -> str:
    from markupsafe import Markup

    cap = data["options"]["pdf_flags_per_rule" if pdf else "html_flags_per_rule"]
    decisions = (review or {}).get("decisions") or {}
    groups = rule_groups(data, cap)
    for group in groups:
        for flag in group["flags"]:
            flag["review"] = decisions.get(flag["flag_id"])
    return render(
        "ig_report.html.j2",
        data=data, month_label=month_label(data["month"]), manifest=manifest, changes=changes,
        summary=summary(data), brief=brief(data), trend=trend(data), groups=groups,
        review=review_section(data, review),
        file_names=file_names(data["batches"]),
        tz_abbrev=lambda instant: zone_abbreviation(instant, data["timezone"]),
        quality_tables=check_summary(data["validation"]), paper_size=data["policy"]["paper_size"],
        charts={k: Markup(v) for k, v in charts.items()}, files=files, generated_at=generated_at,
        pdf=pdf, severities=SEVERITY_ORDER, nyc_measures=NYC_MEASURES, plain_name=plain_name,
        month_name=month_label)
