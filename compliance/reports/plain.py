"""A flag's evidence in plain words, for people who read reports rather than JSON.

The flag's stored evidence (JSON, UTC instants, absolute server paths) stays as it is in the
warehouse and in the CSV/Parquet exports. What a reader is shown is derived from it here: facts
with readable labels, instants in the pack's zone with the zone named, a hold's charges as rows of
a table, and sources as the file relative to the landing folder with its line and the first 12
characters of its sha256. The IG report uses this; so will anything else that shows a flag.
"""
from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from zoneinfo import ZoneInfo

SHA_SHOWN = 12

# Keys shown in their own place, not among the facts.
SHOWN_APART = ("reason", "policy_citation", "source_lines", "charges_considered")

LABELS = {
    "event_local_time": "Time",
    "agency_kind": "Kind of agency",
    "source_action": "Action as logged",
    "client_addr": "Client address",
    "subject_person_id": "Person looked up",
    "search_terms": "Search terms",
    "purpose_code": "Purpose code",
    "case_number": "Case number",
    "result_count": "Records returned",
    "policy_version": "Policy version in force",
    "act_judged_at": "Act judged at",
    "release_eligible_at": "Eligible for release at",
    "release_eligible_by": "Eligible for release by",
    "transferred_at": "Handed over at",
    "notice_sent_at": "Release notice sent at",
    "form_type": "ICE form",
    "judicial_warrant_signed_by": "Judicial warrant signed by",
    "first_act_at": "First act at",
    "custody_ended_at": "Custody ended at",
    "custody_ended_by": "Custody ended by",
    "business_hours_held": "Business hours held",
    "limit_hours": "Limit (hours)",
    "detainer_action": "Action on the detainer record",
    "account_access_start": "Account access from",
    "agreement_until": "Agreement ended",
    "gap_start_local": "Gap from",
    "gap_end_local": "Gap until",
    "window_start_local": "Window from",
    "last_window_start_local": "Last window from",
    "last_event_local": "Last event",
    "min_gap_minutes": "Minimum gap counted (minutes)",
    "baseline_mean": "Usual lookups per day",
    "history_days": "Days of history",
}


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def _instant(text: str) -> dt.datetime | None:
    """A stored UTC instant ("2018-09-19 17:38:00+00"), or None for anything else."""
    if not isinstance(text, str) or len(text) < 19 or not text[:4].isdigit() or "+" not in text[10:]:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else None


def local(text: str, tz: str) -> str:
    """A stored instant as the pack's local time with the zone's abbreviation; other text as given."""
    instant = _instant(text)
    if instant is None:
        return text
    return instant.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def zone_abbreviation(instant: str, tz: str) -> str:
    """The zone's abbreviation at a stored instant ("EDT", "EST"): beside a local time."""
    return dt.datetime.fromisoformat(instant).astimezone(ZoneInfo(tz)).strftime("%Z")


def _text(value, tz: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item, tz) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {_text(v, tz)}" for k, v in value.items() if v not in (None, ""))
    return local(str(value), tz)


def file_names(batches: list[dict]) -> dict[str, dict]:
    """Each loaded file's path mapped to how a reader is shown it: `name`, relative to the landing
    folder (the canonical layout is `<landing>/<table>/<file>`; a file given on its own is named by
    itself), and `sha` (the first characters of the sha256 its latest load had)."""
    names: dict[str, dict] = {}
    for batch in sorted(batches, key=lambda b: b["ingested_at"] or ""):
        path = PurePath(batch["path"] or "")
        name = f"{path.parent.name}/{path.name}" if path.parent.name == batch["table_name"] else path.name
        names[batch["path"]] = {"name": name, "sha": (batch["sha256"] or "")[:SHA_SHOWN]}
    return names


def source_label(source, files: dict[str, dict]) -> str:
    """`{"file": ..., "line": ...}` as "detainers/detainers_2018-09.csv, line 16 (sha256 1a2b…)"."""
    if not isinstance(source, dict):
        return str(source)
    path = source.get("file") or ""
    known = files.get(path)
    name = known["name"] if known else PurePath(path).name
    text = f"{name}, line {source.get('line')}" if source.get("line") is not None else name
    return f"{text} (sha256 {known['sha']})" if known and known["sha"] else text


def charge_rows(charges, tz: str, files: dict[str, dict]) -> list[dict]:
    """A hold's charges as a table's rows: citation and offense, grade, disposition and date, and
    why the charge does or does not qualify."""
    if not isinstance(charges, list):
        return []
    return [{"citation": c.get("citation") or c.get("statute") or "—",
             "as_recorded": c.get("statute") if c.get("citation") and c.get("citation") != c.get("statute") else None,
             "offense": c.get("offense"), "grade": c.get("grade") or "—",
             "disposition": (c.get("disposition") or "—").replace("_", " "),
             "date": c.get("disposition_date") or "—", "why": c.get("assessment") or "—",
             "source": source_label(c.get("source"), files) if c.get("source") else None}
            for c in charges if isinstance(c, dict)]


def plain_evidence(evidence: dict, tz: str, files: dict[str, dict]) -> dict:
    """What a reader is shown of one flag's evidence: the reason, the policy it cites, the other
    facts as (label, text) pairs, the charges considered, and the source lines."""
    lines = evidence.get("source_lines")
    return {
        "reason": evidence.get("reason"),
        "citation": evidence.get("policy_citation"),
        "facts": [(label(key), _text(value, tz)) for key, value in evidence.items()
                  if key not in SHOWN_APART and value not in (None, "", [], {})],
        "charges": charge_rows(evidence.get("charges_considered"), tz, files),
        "sources": [source_label(s, files) for s in lines] if isinstance(lines, list) else [],
    }
