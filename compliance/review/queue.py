"""Reviewing the flags of published report versions: recording decisions and listing a month's
queue. Flags are read from each month's latest version (its Parquet export), never from the
warehouse, so review goes on while a DAG run holds the warehouse's lock (docs/review.md)."""
from __future__ import annotations

from pathlib import Path

from compliance import queries
from compliance.warehouse import connect_bounded
from compliance.config import reports_dir
from compliance.errors import ComplianceError
from compliance.reports import versions
from compliance.review.state import flag_states, flags_file, state_rows
from compliance.review.store import Decision, ReviewStore, check_decision, exists, now, open_store

# The columns of `compliance review list`, in order (a contract: scripts read them).
LIST_COLUMNS = ("flag_id", "month", "rule_id", "category", "disposition", "reviewer", "reviewed_at",
                "note", "still_raised", "changed_since_review")


def published_flags(home: Path, months: list[str] | None = None) -> dict[str, dict]:
    """{flag_id: flag} of the latest version of each month (all months by default)."""
    if months is None:
        folder = reports_dir(Path(home))
        months = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    flags: dict[str, dict] = {}
    con = connect_bounded(":memory:", home)
    try:
        for month in months:
            latest = versions.latest_version(versions.month_dir(Path(home), month))
            path = flags_file(latest) if latest else None
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


def month_standing(home: Path, month: str) -> dict[str, dict]:
    """The month's decided flags, {flag_id: state row} with their standing disposition and the
    rule version and evidence it stands on, for readers that must not create a store (`compliance
    flags`): none when the home has no review store yet."""
    if not exists(home):
        return {}
    latest = versions.latest_version(versions.month_dir(Path(home), month))
    with open_store(home) as store, flag_states(store, home, month, flags_file(latest) if latest else None) as con:
        return {row["flag_id"]: row for row in state_rows(con, "disposition <> '' AND still_raised")}


def month_queue(store: ReviewStore, home: Path, month: str) -> list[dict]:
    """Every flag of the month's latest version, and every flag reviewed in the month that it no
    longer raises, with its standing decision (LIST_COLUMNS; and `exception_id` when an exception
    justifies it, `no_longer_raised_since`, the first version that dropped it). A decision made on
    other evidence, or by another version of the rule, no longer stands: the flag is open again and
    `changed_since_review`."""
    latest = versions.latest_version(versions.month_dir(Path(home), month))
    with flag_states(store, home, month, flags_file(latest) if latest else None) as con:
        rows = [{**{key: row[key] for key in LIST_COLUMNS}, "exception_id": row["exception_id"]}
                for row in state_rows(con)]
    dropped = dropped_since(home, month, [row["flag_id"] for row in rows if not row["still_raised"]])
    return [{**row, "no_longer_raised_since": dropped.get(row["flag_id"], "")} for row in rows]


def dropped_since(home: Path, month: str, flag_ids: list[str]) -> dict[str, str]:
    """{flag_id: "v3"}: for each flag the latest version no longer raises, the version after the
    last one that raised it."""
    if not flag_ids:
        return {}
    folder = versions.month_dir(Path(home), month)
    found: dict[str, str] = {}
    con = connect_bounded(":memory:", home)
    try:
        for number in reversed(versions.version_numbers(folder)):
            path = flags_file(folder / f"v{number}")
            missing = [f for f in flag_ids if f not in found]
            if not missing or path is None or not path.is_file():
                continue
            for (flag_id,) in con.execute("SELECT flag_id FROM read_parquet(?) WHERE flag_id IN (SELECT unnest(?))",
                                          [str(path), missing]).fetchall():
                found[flag_id] = f"v{number + 1}"
    finally:
        con.close()
    return found
