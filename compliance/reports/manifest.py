"""The reproducibility manifest of a report version, and what changed since the previous version.

`manifest.json` (IG only, owner-only) records what the version was computed from (input files with
sha256, policy pack, rule hashes, code version, options), when, and enough of what it showed (a
digest per flag, counts, the committee's cells) for the next version to state what changed.
"""
from __future__ import annotations

from compliance.reports.collect import digest

FLAG_CONTENT = ("rule_id", "rule_version", "category", "severity", "subject_type", "subject_id",
                "account_id", "person_id", "event_ts", "summary", "evidence")
SECTIONS = {
    "trend": ("flag_counts", "month_status"),
    "coverage": ("coverage", "days", "batches", "quarantine"),
    "data quality": ("validation",),
    "statutory exports": ("illinois", "nyc"),
}


def status_of(data: dict) -> str:
    validation = data["validation"]
    if any(v["blocking"] and not v["success"] for v in validation):
        return "INCOMPLETE"
    return "complete" if validation else "not validated"


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
        "code_version": data["code_version"],
        "policy_pack": data["policy"],
        "options": data["options"],
        "rules": {r["rule_id"]: {"version": r["version"], "status": r["status"]} for r in data["rules"]},
        "inputs": [{k: b[k] for k in ("table_name", "path", "sha256", "rows_read", "rows_loaded",
                                      "rows_quarantined", "rows_ignored", "ingested_at")}
                   for b in data["batches"]],
        "flags": {f["flag_id"]: digest({k: f[k] for k in FLAG_CONTENT}) for f in data["flags"]},
        "flag_count": len(data["flags"]),
        "counts_by_category": dict(sorted(counts.items())),
        "sections": {name: digest({k: data[k] for k in keys}) for name, keys in SECTIONS.items()},
        "committee": committee,
    }


def _before_after(before, after) -> dict | None:
    return None if before == after else {"before": before, "after": after}


def changes(previous: dict | None, current: dict) -> dict | None:
    """What differs between the previous version's manifest and this one (None for a first version)."""
    if previous is None:
        return None
    old_flags, new_flags = previous["flags"], current["flags"]
    old_inputs = {i["path"]: i["sha256"] for i in previous["inputs"]}
    new_inputs = {i["path"]: i["sha256"] for i in current["inputs"]}
    old_counts, new_counts = previous["counts_by_category"], current["counts_by_category"]
    old_rules, new_rules = previous["rules"], current["rules"]
    return {
        "previous_version": previous["version"],
        "previous_generated_at": previous["generated_at"],
        "flags_added": sorted(set(new_flags) - set(old_flags)),
        "flags_removed": sorted(set(old_flags) - set(new_flags)),
        "flags_changed": sorted(k for k in set(old_flags) & set(new_flags) if old_flags[k] != new_flags[k]),
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
