"""A flag as a reviewer reads it: the row of its month's latest published version, with its
evidence in plain language by the same code as the IG report (`compliance/reports/plain.py`), so
the review app and the report say the same thing. Read from the version's Parquet export, never
from the warehouse (docs/review.md)."""
from __future__ import annotations

import json
from pathlib import Path

from compliance import queries
from compliance.config import reports_dir
from compliance.reports import versions
from compliance.review.state import flags_file
from compliance.warehouse import connect_bounded


def published_months(home: Path) -> list[str]:
    """The months that have a published report version, oldest first."""
    folder = reports_dir(Path(home))
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_dir() and versions.latest_version(p) is not None)


def _latest_flags(home: Path, month: str) -> tuple[Path, Path] | None:
    """(version folder, flags Parquet) of the month's latest version."""
    latest = versions.latest_version(versions.month_dir(Path(home), month))
    path = flags_file(latest) if latest else None
    return (latest, path) if path is not None and path.is_file() else None


def month_flag_facts(home: Path, month: str) -> dict[str, dict]:
    """{flag_id: severity, subject, account, person, local time, summary} of the month's latest version."""
    found = _latest_flags(home, month)
    if found is None:
        return {}
    con = connect_bounded(":memory:", home)
    try:
        return {row["flag_id"]: row for row in queries.rows(con, "review/month_flag_facts",
                                                              {"flags": str(found[1])})}
    finally:
        con.close()


def flag_detail(home: Path, flag_id: str, timezone: str | None = None) -> dict | None:
    """Every column of the flag in the latest version of its month, `evidence` parsed, `plain`
    (reason, citation, facts, charges, sources: `plain_evidence`), `citation` as the IG report
    gives it, the rule's `title`, and the `version` it was read from; None for an unknown flag.
    Local times are in `timezone` (default: the policy pack's)."""
    from compliance.reports.plain import file_names, plain_evidence, zone_abbreviation
    from compliance.rules.catalog import load_rules

    if timezone is None:
        from compliance.policy.pack import load_pack

        timezone = load_pack().timezone
    con = connect_bounded(":memory:", home)
    try:
        for month in published_months(home):
            found = _latest_flags(home, month)
            if found is None:
                continue
            rows = queries.rows(con, "review/flag_detail", {"flags": str(found[1]), "flag_id": flag_id})
            if rows:
                version_dir, flag = found[0], rows[0]
                break
        else:
            return None
    finally:
        con.close()
    evidence = json.loads(flag["evidence"]) if flag["evidence"] else {}
    evidence = evidence if isinstance(evidence, dict) else {"value": evidence}
    manifest = versions.read_manifest(version_dir)
    rule = next((r for r in load_rules() if r.rule_id == flag["rule_id"]), None)
    meta = rule.meta if rule else {}
    return {**flag, "evidence": evidence, "version": version_dir.name, "timezone": timezone,
            "zone": zone_abbreviation(flag["event_ts"], timezone) if flag["event_ts"] else "",
            "plain": plain_evidence(evidence, timezone, file_names(manifest.get("inputs") or [])),
            "citation": flag["policy_citation"] or "; ".join(meta.get("policy_refs") or []),
            "title": meta.get("title") or flag["rule_id"]}
