"""Reviewing the flags of published report versions: recording decisions and listing a month's
queue. Flags are read from each month's latest version (its Parquet export), never from the
warehouse, so review goes on while a DAG run holds the warehouse's lock (docs/review.md)."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from compliance import queries
from compliance.config import reports_dir
from compliance.errors import ComplianceError
from compliance.reports import versions
from compliance.review.store import Decision, ReviewStore, check_decision, now, open_store, store_path

# The columns of `compliance review list`, in order (a contract: scripts read them).
LIST_COLUMNS = ("flag_id", "month", "rule_id", "category", "disposition", "reviewer", "reviewed_at",
                "note", "still_raised", "changed_since_review")


def _flags_file(version_dir: Path) -> Path | None:
    manifest = versions.read_manifest(version_dir)
    name = ((manifest.get("outputs") or {}).get("flags_parquet") or {}).get("file")
    return version_dir / name if name else None


def published_flags(home: Path, months: list[str] | None = None) -> dict[str, dict]:
    """{flag_id: flag} of the latest version of each month (all months by default)."""
    if months is None:
        folder = reports_dir(Path(home))
        months = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    flags: dict[str, dict] = {}
    con = duckdb.connect()
    try:
        for month in months:
            latest = versions.latest_version(versions.month_dir(Path(home), month))
            path = _flags_file(latest) if latest else None
            if path is None or not path.is_file():
                continue
            for row in queries.rows(con, "review/published_flags", {"flags": str(path)}):
                flags[row["flag_id"]] = row
    finally:
        con.close()
    return flags


def record(store: ReviewStore, home: Path, flag_ids: list[str], *, disposition: str | None,
           note: str, reviewer: str, duplicate_of: str | None = None) -> list[Decision]:
    """One decision per flag, all in one transaction: a review with `disposition`, or a reopen when
    it is None. Unknown flags, or a flag reopened that is not closed, write nothing."""
    check_decision(disposition, note, reviewer, duplicate_of)
    if not flag_ids:
        raise ComplianceError("no flag id given", field="flag_id")
    flags = published_flags(home)
    unknown = [f for f in flag_ids if f not in flags]
    if unknown:
        raise ComplianceError(f"unknown flag id {unknown[0]!r}: not in any published report version"
                              + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""), field="flag_id")
    if duplicate_of is not None and duplicate_of not in flags:
        raise ComplianceError(f"unknown flag id {duplicate_of!r} to be a duplicate of", field="duplicate_of")
    if duplicate_of in flag_ids:
        raise ComplianceError("a flag cannot be a duplicate of itself", field="duplicate_of")
    if disposition is None:
        for flag_id in flag_ids:
            latest = store.latest(flags[flag_id]["month"]).get(flag_id)
            if latest is None or latest.action == "reopen":
                raise ComplianceError(f"flag {flag_id} is open: there is no decision to reopen", field="flag_id")
    at = now()
    decisions = [Decision(flag_id=f, month=flags[f]["month"], action="review" if disposition else "reopen",
                          disposition=disposition, duplicate_of=duplicate_of, note=note, reviewer=reviewer,
                          recorded_at=at, rule_id=flags[f]["rule_id"], rule_version=flags[f]["rule_version"],
                          evidence_sha256=flags[f]["evidence_sha256"])
                 for f in dict.fromkeys(flag_ids)]
    store.append(decisions)
    return decisions


def standing(decision: Decision | None, rule_version: str, evidence_sha256: str) -> Decision | None:
    """The decision that still holds for a flag as it is now raised: a review made on the same
    rule version and evidence. A reopen, or a review of evidence that has changed since, leaves
    the flag open."""
    if decision is None or decision.action != "review":
        return None
    return decision if (decision.rule_version, decision.evidence_sha256) == (rule_version, evidence_sha256) else None


def month_decisions(home: Path, month: str) -> dict[str, Decision]:
    """The month's latest decisions, for readers that must not create a store (`compliance
    flags`): none when the home has no review store yet."""
    if not (os.environ.get("COMPLIANCE_REVIEWS_DSN") or os.environ.get("COMPLIANCE_REVIEWS_FILE")
            or store_path(home).is_file()):
        return {}
    with open_store(home) as store:
        return store.latest(month)


def month_queue(store: ReviewStore, home: Path, month: str) -> list[dict]:
    """Every flag of the month's latest version, and every flag reviewed in the month that it no
    longer raises, with its current decision (LIST_COLUMNS)."""
    flags = published_flags(home, [month])
    decided = store.latest(month)
    rows = []
    for flag_id in sorted(set(flags) | set(decided)):
        flag, decision = flags.get(flag_id), decided.get(flag_id)
        reviewed = decision is not None and decision.action == "review"
        holds = standing(decision, flag["rule_version"], flag["evidence_sha256"]) if flag else decision
        changed = bool(reviewed and flag and holds is None)
        rows.append({
            "flag_id": flag_id, "month": month,
            "rule_id": flag["rule_id"] if flag else decision.rule_id,
            "category": flag["category"] if flag else "",
            # A decision made on other evidence, or by another version of the rule, is open again.
            "disposition": holds.disposition if reviewed and holds else "",
            "reviewer": decision.reviewer if decision else "",
            "reviewed_at": decision.recorded_at if decision else "",
            "note": decision.note if decision else "",
            "still_raised": flag is not None,
            "changed_since_review": changed,
        })
    return rows
