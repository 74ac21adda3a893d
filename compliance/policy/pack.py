"""Policy packs: effective-dated versions of a city's policy, loaded into tables the rules join.

Rules never hard-code a date, grade or threshold: they read `policy_versions`, `policy_agreements`,
`policy_offenses` and `policy_settings`, which this module builds from the YAML pack.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import yaml

from compliance.config import DEFAULT_POLICY
from compliance.errors import ComplianceError

ACTS = ("hold", "notice")


PAPER_SIZES = ("A4", "letter", "legal")
# Without a committee_summary block: the small-cell threshold of docs/policy-packs.md.
DEFAULT_SUPPRESS_BELOW = 11


@dataclass(frozen=True)
class PolicyPack:
    path: Path
    data: dict
    sha256: str

    @property
    def timezone(self) -> str:
        return self.data["timezone"]

    @property
    def name(self) -> str:
        return self.data["pack"]

    @property
    def version(self) -> str:
        return str(self.data["pack_version"])

    @property
    def paper_size(self) -> str:
        """The page size the reports' PDFs are printed on (CSS `@page size`): A4, letter or legal."""
        return (self.data.get("reports") or {}).get("paper_size", "A4")

    @property
    def committee_suppression(self) -> dict:
        """The committee summary's suppression rule: `suppress_below`, its `rationale` and
        `citations` (docs/policy-packs.md, "Committee summary")."""
        block = self.data.get("committee_summary") or {}
        return {"suppress_below": block.get("suppress_below", DEFAULT_SUPPRESS_BELOW),
                "rationale": block.get("rationale", ""), "citations": list(block.get("citations") or [])}

    def policy_changes(self) -> list[dict]:
        """Each day the rules in force changed, oldest first: a version's `effective_from` and an
        agreement's end (`access_until` is exclusive, so its date is the first day without access),
        as `{"day", "title", "citation"}` for the reports' charts and trend notes."""
        changes = [{"day": version["effective_from"], "title": version["title"],
                    "citation": "; ".join(version.get("citations") or [])}
                   for version in self.data["versions"][1:]]
        for agreement in self.data["agreements"]:
            until = agreement["access_until"]
            day = until.date() if isinstance(until, dt.datetime) else until
            title = agreement.get("title") or (
                f"{agreement['agency_kind']} access to {agreement.get('database', 'the database')} ends")
            changes.append({"day": day, "title": title, "citation": agreement["citation"]})
        return sorted(changes, key=lambda change: change["day"])

    def table_path(self, name: str) -> Path:
        return self.path.parent / name


def load_pack(path: Path | str | None = None) -> PolicyPack:
    """Read a pack and refuse it, naming the first problem, unless it is sound."""
    pack = read_pack(path)
    problems = check_pack(pack)
    if problems:
        raise ComplianceError(problems[0], path=str(pack.path))
    return pack


def read_pack(path: Path | str | None = None) -> PolicyPack:
    """Parse a pack's YAML without judging it (see check_pack)."""
    path = Path(path or DEFAULT_POLICY)
    if not path.is_file():
        raise ComplianceError("policy pack not found", path=str(path))
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ComplianceError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=str(path),
                              line=mark.line + 1 if mark else None) from None
    return PolicyPack(path, data, hashlib.sha256(raw).hexdigest())


def check_pack(pack: PolicyPack) -> list[str]:
    """Everything wrong with a pack, one message per problem (empty when it is sound)."""
    data = pack.data if isinstance(pack.data, dict) else {}
    problems = []
    for key in ("pack", "pack_version", "timezone", "versions", "conviction", "judicial_warrant",
                "hold_limit", "agreements"):
        if key not in data:
            problems.append(f"field {key}: missing")
    if problems:
        return problems
    try:
        ZoneInfo(data["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"field timezone: unknown time zone {data['timezone']!r}")
    paper = (data.get("reports") or {}).get("paper_size", "A4")
    if paper not in PAPER_SIZES:
        problems.append(f"field reports.paper_size: must be one of {', '.join(PAPER_SIZES)}, got {paper!r}")
    committee = data.get("committee_summary")
    if committee is not None:
        below = committee.get("suppress_below") if isinstance(committee, dict) else None
        if not isinstance(below, int) or isinstance(below, bool) or below < 1:
            problems.append(f"field committee_summary.suppress_below: must be a whole number of at least 1, got {below!r}")
        if not isinstance(committee, dict) or not committee.get("rationale"):
            problems.append("field committee_summary.rationale: missing (say why counts below the threshold are suppressed)")
    starts = []
    for index, version in enumerate(data["versions"]):
        where = f"versions[{index}]"
        for key in ("id", "title", "effective_from", "hold", "notice", "citations"):
            if key not in version:
                problems.append(f"field {where}.{key}: missing")
        if not isinstance(version.get("effective_from"), dt.date):
            problems.append(f"field {where}.effective_from: not a date (YYYY-MM-DD)")
        else:
            starts.append(version["effective_from"])
        for act in ACTS:
            rules = version.get(act) or {}
            if rules.get("restricted") and not version.get("citations"):
                problems.append(f"field {where}.citations: a restricting version needs a citation")
            if rules.get("when_not_met", "violation") not in ("violation", "needs_review"):
                problems.append(f"field {where}.{act}.when_not_met: must be violation or needs_review")
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        problems.append("field versions: effective_from dates must be strictly increasing")
    for key in ("offense_table", "description_table"):
        table = pack.table_path(data["conviction"].get(key, ""))
        if not table.is_file():
            problems.append(f"field conviction.{key}: file not found: {table.name}")
    holiday_table = pack.table_path(data["hold_limit"].get("holiday_table", ""))
    if not holiday_table.is_file():
        problems.append(f"field hold_limit.holiday_table: file not found: {holiday_table.name}")
    if data["conviction"].get("unlisted_offenses", "needs_review") not in ("not_violent", "needs_review"):
        problems.append("field conviction.unlisted_offenses: must be not_violent or needs_review")
    for index, agreement in enumerate(data["agreements"]):
        for key in ("agency_kind", "access_until", "citation"):
            if key not in agreement:
                problems.append(f"field agreements[{index}].{key}: missing")
    problems += service_account_problems(data.get("service_accounts") or [])
    problems += report_source_problems(data.get("report_sources") or [])
    return problems


def _block_entries(block: str, entries, problems: list[str]) -> Iterator[tuple[str, dict]]:
    """The mappings of a block that is a list of them, each with its place for messages
    (`block[i]`); what is not such a list or mapping goes to `problems`."""
    if not isinstance(entries, list):
        problems.append(f"field {block}: must be a list of entries")
        return
    for index, entry in enumerate(entries):
        if isinstance(entry, dict):
            yield f"{block}[{index}]", entry
        else:
            problems.append(f"field {block}[{index}]: must be a mapping")


# How often a report source delivers (docs/policy-packs.md, "Report sources").
DELIVERY_SCHEDULES = ("daily", "weekdays", "business_days", "monthly")
REPORT_SOURCE_FIELDS = ("name", "table", "source", "delivers", "why")
# The tables a report source may name; access_events is told apart by its `source`.
REPORT_SOURCE_TABLES = ("arrests", "charges", "detainers", "custody_events", "access_events")


def report_source_problems(entries) -> list[str]:
    """What is wrong with the `report_sources` block (docs/policy-packs.md, "Report sources")."""
    problems, seen = [], set()
    for where, entry in _block_entries("report_sources", entries, problems):
        for key in sorted(set(entry) - set(REPORT_SOURCE_FIELDS)):
            problems.append(f"field {where}.{key}: unknown (known: {', '.join(REPORT_SOURCE_FIELDS)})")
        for key in ("name", "table", "delivers", "why"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problems.append(f"field {where}.{key}: missing")
        if entry.get("name") in seen:
            problems.append(f"field {where}.name: {entry['name']} has an earlier entry")
        seen.add(entry.get("name"))
        if isinstance(entry.get("table"), str) and entry["table"] not in REPORT_SOURCE_TABLES:
            problems.append(f"field {where}.table: must be one of {', '.join(REPORT_SOURCE_TABLES)}")
        if entry.get("table") == "access_events" and not entry.get("source"):
            problems.append(f"field {where}.source: an access_events entry names its source (pars_app, a database log's name)")
        if "source" in entry and entry.get("table") != "access_events":
            problems.append(f"field {where}.source: only an access_events entry names a source")
        if isinstance(entry.get("delivers"), str) and entry["delivers"] not in DELIVERY_SCHEDULES:
            problems.append(f"field {where}.delivers: must be one of {', '.join(DELIVERY_SCHEDULES)}")
    return problems


SERVICE_ACCOUNT_LISTS = ("exempt_from", "hosts", "applications", "person_read_windows")
WINDOW = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d-(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)")


def service_account_problems(entries) -> list[str]:
    """What is wrong with the `service_accounts` block (docs/policy-packs.md, "Service accounts")."""
    problems, seen = [], set()
    for where, entry in _block_entries("service_accounts", entries, problems):
        keys = [key for key in ("account_id", "agency_kind") if entry.get(key)]
        if len(keys) != 1:
            problems.append(f"field {where}: name exactly one of account_id or agency_kind")
            continue
        target = (keys[0], str(entry[keys[0]]))
        if target in seen:
            problems.append(f"field {where}.{keys[0]}: {target[1]} has an earlier entry")
        seen.add(target)
        for key in sorted(set(entry) - {"account_id", "agency_kind", *SERVICE_ACCOUNT_LISTS}):
            problems.append(f"field {where}.{key}: unknown (known: {', '.join(SERVICE_ACCOUNT_LISTS)})")
        for key in SERVICE_ACCOUNT_LISTS:
            value = entry.get(key)
            if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)):
                problems.append(f"field {where}.{key}: must be a list of texts")
        for window in entry.get("person_read_windows") or []:
            if isinstance(window, str) and not WINDOW.fullmatch(window):
                problems.append(f"field {where}.person_read_windows: {window!r} is not HH:MM-HH:MM")
    return problems


def _local_midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), ZoneInfo(tz))


def _local(value, tz: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    if isinstance(value, dt.date):
        return _local_midnight(value, tz)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=ZoneInfo(tz))


def install(con: duckdb.DuckDBPyConnection, pack: PolicyPack) -> None:
    """(Re)create the policy tables as temp tables on this connection."""
    data, tz = pack.data, pack.timezone
    versions = data["versions"]
    con.execute("""
        CREATE OR REPLACE TEMP TABLE policy_versions (
            version_id VARCHAR, title VARCHAR, effective_from TIMESTAMPTZ, effective_to TIMESTAMPTZ,
            hold_restricted BOOLEAN, hold_needs_conviction BOOLEAN, hold_needs_warrant BOOLEAN,
            notice_restricted BOOLEAN, notice_needs_conviction BOOLEAN, notice_needs_warrant BOOLEAN,
            notice_when_not_met VARCHAR, citation VARCHAR)""")
    for index, version in enumerate(versions):
        start = _local(version["effective_from"], tz)
        end = _local(versions[index + 1]["effective_from"], tz) if index + 1 < len(versions) else None
        hold, notice = version.get("hold") or {}, version.get("notice") or {}
        con.execute("INSERT INTO policy_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            version["id"], version["title"], start, end,
            bool(hold.get("restricted")), bool(hold.get("conviction_required")),
            bool(hold.get("judicial_warrant_required")),
            bool(notice.get("restricted")), bool(notice.get("conviction_required")),
            bool(notice.get("judicial_warrant_required")), notice.get("when_not_met", "violation"),
            " ".join(version.get("citations") or [])])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE policy_agreements (
            agency_kind VARCHAR, database_name VARCHAR, access_until TIMESTAMPTZ, citation VARCHAR)""")
    for agreement in data["agreements"]:
        con.execute("INSERT INTO policy_agreements VALUES (?, ?, ?, ?)", [
            agreement["agency_kind"], agreement.get("database", ""),
            _local(agreement["access_until"], tz), agreement["citation"]])
    conviction = data["conviction"]
    offenses = pack.table_path(conviction["offense_table"])
    with offenses.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE policy_offenses (
            title VARCHAR, section VARCHAR, subsection VARCHAR, default_grade VARCHAR, violent BOOLEAN,
            grey BOOLEAN, description VARCHAR, citation VARCHAR)""")
    con.executemany("INSERT INTO policy_offenses VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        [r["title"], r["section"], r["subsection"].upper(), r["default_grade"] or None,
         r["violent"] == "true", r["grey"] == "true", r["description"], r["citation"]] for r in rows])
    descriptions = pack.table_path(conviction["description_table"])
    with descriptions.open(encoding="utf-8", newline="") as handle:
        rows = [[r["description"], r["title"], r["section"], r["subsection"].upper()]
                for r in csv.DictReader(handle)]
    con.execute("""
        CREATE OR REPLACE TEMP TABLE policy_offense_descriptions (
            description VARCHAR, title VARCHAR, section VARCHAR, subsection VARCHAR)""")
    con.executemany("INSERT INTO policy_offense_descriptions VALUES (?, ?, ?, ?)", rows)
    holidays = pack.table_path(data["hold_limit"]["holiday_table"])
    with holidays.open(encoding="utf-8", newline="") as handle:
        days = [[r["day"], r["name"]] for r in csv.DictReader(handle)]
    con.execute("CREATE OR REPLACE TEMP TABLE policy_holidays (day DATE, name VARCHAR)")
    con.executemany("INSERT INTO policy_holidays VALUES (?, ?)", days)
    install_service_accounts(con, data.get("service_accounts") or [])
    con.execute("""CREATE OR REPLACE TEMP TABLE policy_report_sources (
                       name VARCHAR, table_name VARCHAR, source VARCHAR, delivers VARCHAR, why VARCHAR)""")
    rows = [[e["name"], e["table"], e.get("source"), e["delivers"], e["why"]] for e in data.get("report_sources") or []]
    if rows:
        con.executemany("INSERT INTO policy_report_sources VALUES (?, ?, ?, ?, ?)", rows)
    settings = {
        "timezone": tz,
        "pack": pack.name,
        "pack_version": pack.version,
        "qualifying_grades": conviction["qualifying_grades"],
        "convicted_dispositions": conviction["convicted_dispositions"],
        "known_dispositions": conviction["known_dispositions"],
        "known_grades": conviction["known_grades"],
        "interpretation": conviction.get("interpretation", ""),
        "inchoate_sections": conviction.get("inchoate_sections", []),
        "citation_compilations": conviction.get("citation_compilations") or {},
        "unlisted_offenses": conviction.get("unlisted_offenses", "needs_review"),
        "warrant_counts": data["judicial_warrant"]["counts"],
        "warrant_citation": data["judicial_warrant"]["citation"],
        "hold_limit_hours": data["hold_limit"]["hours"],
        "hold_limit_citation": data["hold_limit"]["citation"],
        "work_hours": (data.get("defaults") or {}).get("work_hours", "00:00-24:00"),
        "thresholds": data.get("thresholds") or {},
    }
    con.execute("CREATE OR REPLACE TEMP TABLE policy_settings (settings JSON)")
    con.execute("INSERT INTO policy_settings VALUES (?)", [json.dumps(settings)])
    install_setting_macros(con, settings)


def install_service_accounts(con: duckdb.DuckDBPyConnection, entries: list[dict]) -> None:
    """The pack's service-account entries as `policy_service_accounts`; `service_account_terms`
    (sql/views/55_service_accounts.sql) resolves them per account. A list the entry leaves out is
    NULL: not declared, so inherited from the account's kind, or not judged."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE policy_service_accounts (
            account_id VARCHAR, agency_kind VARCHAR, exempt_from VARCHAR[], hosts VARCHAR[],
            applications VARCHAR[], person_read_windows VARCHAR[])""")
    rows = [[entry.get("account_id"), entry.get("agency_kind"), *(entry.get(key) for key in SERVICE_ACCOUNT_LISTS)]
            for entry in entries]
    if rows:
        con.executemany("INSERT INTO policy_service_accounts VALUES (?, ?, ?, ?, ?, ?)", rows)


def install_setting_macros(con: duckdb.DuckDBPyConnection, settings: dict) -> None:
    """`pack_tz()`, `pack_setting(name)` and `threshold(rule, name)` as macros over literal values.

    They read the same values as `policy_settings`, but as constants: a threshold used as a regular
    expression is then compiled once per query, where a subquery would compile it once per row.
    """
    def text(value) -> str:
        return "'" + value.replace("'", "''") + "'"

    def as_text(value) -> str:  # what DuckDB's ->> gives for a JSON value
        return value if isinstance(value, str) else json.dumps(value)

    settings_cases = " ".join(f"WHEN {text(name)} THEN CAST({text(json.dumps(value))} AS JSON)"
                              for name, value in settings.items())
    threshold_cases = " ".join(
        f"WHEN rule = {text(rule)} AND name = {text(name)} THEN {text(as_text(value))}"
        for rule, values in (settings.get("thresholds") or {}).items() for name, value in values.items())
    con.execute(f"CREATE OR REPLACE TEMP MACRO pack_tz() AS {text(settings['timezone'])}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO pack_setting(name) AS CASE name {settings_cases} END")
    con.execute("CREATE OR REPLACE TEMP MACRO threshold(rule, name) AS "
                + (f"CASE {threshold_cases} END" if threshold_cases else "CAST(NULL AS VARCHAR)"))
