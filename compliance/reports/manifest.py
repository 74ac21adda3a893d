"""The reproducibility manifest of a report version, and what changed since the previous version.

`manifest.json` (IG only, owner-only) records what the version was computed from (input files with
sha256, policy pack, rule hashes, code version, options), when, and enough of what it showed (the
flag count and one digest of all flags, counts, the committee's cells) for the next version to
state what changed. Which flags changed is found by DuckDB between the two versions' Parquet
exports, so a month with a million flags costs no memory here.
"""
from __future__ import annotations

from pathlib import Path

from compliance import queries
from compliance.reports.collect import digest
from compliance.reports.render import day_spans

# How many ids of added, removed or changed flags a manifest lists (all are counted).
LISTED_FLAG_CHANGES = 1000
FLAG_CHANGE_KINDS = ("added", "removed", "changed")
SECTIONS = {
    "trend": ("flag_counts", "month_status"),
    "coverage": ("coverage", "days", "batches", "quarantine", "completeness"),
    "data quality": ("validation",),
    "statutory exports": ("illinois", "nyc"),
}


# A month in one of these states is not sent to the committee (compliance/delivery/mail.py).
WITHHELD_STATUSES = ("NO DATA", "INCOMPLETE")
# Every status a version can have (status_of); the committee summary translates them.
REPORT_STATUSES = ("complete", "not validated", *WITHHELD_STATUSES)


def status_of(data: dict) -> str:
    """NO DATA: nothing of the month is in the warehouse. INCOMPLETE: a source the report relies
    on missed days it was expected to deliver (docs/policy-packs.md, "Report sources"), or a
    blocking check failed. Otherwise complete once validated."""
    validation = data["validation"]
    if not data["completeness"]["has_data"]:
        return "NO DATA"
    if any(not source["complete"] for source in data["completeness"]["sources"]) or \
            any(v["blocking"] and not v["success"] for v in validation):
        return "INCOMPLETE"
    return "complete" if validation else "not validated"


def missing_sources(data: dict) -> list[str]:
    """One line per report source that missed days: what a person reads in the CLI, the alert and
    the manifest."""
    lines = []
    for source in data["completeness"]["sources"]:
        if source["complete"]:
            continue
        if source["delivers"] == "monthly":
            lines.append(f"{source['name']}: nothing delivered for {data['month']}")
            continue
        spans = ", ".join(first if first == last else f"{first} to {last}"
                          for first, last in day_spans(source["missing_days"]))
        lines.append(f"{source['name']}: no records on {source['expected'] - source['covered']} of "
                     f"{source['expected']} expected days ({spans})")
    return lines


def core(data: dict, fingerprint: str, committee: dict) -> dict:
    """The part of the manifest known before anything is rendered."""
    counts: dict[str, int] = {}
    for row in data["flag_counts"]:
        if row["month"] == data["month"]:
            counts[row["category"]] = counts.get(row["category"], 0) + row["flags"]
    return {
        "month": data["month"],
        "fingerprint": fingerprint,
        "status": status_of(data),
        "missing_sources": missing_sources(data),
        "code_version": data["code_version"],
        "policy_pack": data["policy"],
        "options": data["options"],
        "rules": {r["rule_id"]: {"version": r["version"], "status": r["status"]} for r in data["rules"]},
        "inputs": [{k: b[k] for k in ("table_name", "path", "sha256", "rows_read", "rows_loaded",
                                      "rows_quarantined", "rows_ignored", "ingested_at")}
                   for b in data["batches"]],
        "flag_count": data["flags_digest"]["flags"],
        "flags_digest": data["flags_digest"]["digest"],
        "counts_by_category": dict(sorted(counts.items())),
        "sections": {name: digest({k: data[k] for k in keys}) for name, keys in SECTIONS.items()},
        "committee": committee,
    }


def _before_after(before, after) -> dict | None:
    return None if before == after else {"before": before, "after": after}


def flag_changes(con, previous_dir: Path | None, previous: dict | None, current_parquet: Path) -> dict | None:
    """Flags added, removed and changed since the previous version, read from its Parquet export:
    per kind, the count and the first LISTED_FLAG_CHANGES ids (None for a first version)."""
    if previous is None:
        return None
    previous_parquet = previous_dir / previous["outputs"]["flags_parquet"]["file"]
    found = {row["change"]: row for row in queries.rows(
        con, "reports/flag_changes",
        {"previous": str(previous_parquet), "current": str(current_parquet), "listed": LISTED_FLAG_CHANGES})}
    return {kind: {"count": found[kind]["flags"] if kind in found else 0,
                   "listed": found[kind]["listed"] if kind in found else []}
            for kind in FLAG_CHANGE_KINDS}


def changes(previous: dict | None, current: dict, changed_flags: dict | None) -> dict | None:
    """What differs between the previous version's manifest and this one (None for a first
    version); `changed_flags` from `flag_changes`."""
    if previous is None:
        return None
    old_inputs = {i["path"]: i["sha256"] for i in previous["inputs"]}
    new_inputs = {i["path"]: i["sha256"] for i in current["inputs"]}
    old_counts, new_counts = previous["counts_by_category"], current["counts_by_category"]
    old_rules, new_rules = previous["rules"], current["rules"]
    return {
        "previous_version": previous["version"],
        "previous_generated_at": previous["generated_at"],
        **{f"flags_{kind}": changed_flags[kind]["listed"] for kind in FLAG_CHANGE_KINDS},
        **{f"flags_{kind}_count": changed_flags[kind]["count"] for kind in FLAG_CHANGE_KINDS},
        "counts": [{"category": c, "before": old_counts.get(c, 0), "after": new_counts.get(c, 0)}
                   for c in sorted(set(old_counts) | set(new_counts))
                   if old_counts.get(c, 0) != new_counts.get(c, 0)],
        "inputs_added": sorted(set(new_inputs) - set(old_inputs)),
        "inputs_removed": sorted(set(old_inputs) - set(new_inputs)),
        "inputs_changed": sorted(p for p in set(old_inputs) & set(new_inputs) if old_inputs[p] != new_inputs[p]),
        "rules_changed": [{"rule_id": r, "before": old_rules.get(r), "after": new_rules.get(r)}
                          for r in sorted(set(old_rules) | set(new_rules))
                          if old_rules.get(r) != new_rules.get(r)],
        "status": _before_after(previous["status"], current["status"]),
        "policy_pack": _before_after(previous["policy_pack"], current["policy_pack"]),
        "code_version": _before_after(previous["code_version"], current["code_version"]),
        "options": _before_after(previous["options"], current["options"]),
        "sections_changed": [name for name in SECTIONS
                             if previous["sections"].get(name) != current["sections"].get(name)],
    }
