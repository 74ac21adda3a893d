"""`compliance verify REPORT_DIR`: is a report version still what was signed, and do the warehouse
and the landing files still hold what it was built on? (docs/evidence.md)

Every finding is one line naming what was altered, deleted or added:
- the manifest's signature, by a trusted key (the configured signing key, or the public keys given);
- each output against the sha256 the manifest lists, and no file missing or added;
- each figure of the committee summary against the manifest's;
- the evidence chain: every link, the head and the flag record the version was built on, the
  version's own record, and every version of the month it records;
- the month's flags in the warehouse against the version's Parquet export and its evaluation's record
  (against the latest evaluation's record instead, once the month was evaluated again);
- every batch against its chain record and its table's rows, and each input of the version: still
  loaded, and its landing file's sha256.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb

from compliance import evidence, queries, warehouse
from compliance.config import reports_dir, resolve_home
from compliance.errors import ComplianceError
from compliance.reports import signing
from compliance.reports.i18n import COMMITTEE_EDITIONS, SOURCE_LOCALE, committee_output, number, translations
from compliance.reports.versions import MANIFEST
from compliance.sources.text import file_sha256

# The signed-off edition's folder (build.py, SIGNED_OFF), written at sign-off.
SIGNED_OFF = "signed-off"
# What a version folder holds besides its outputs: delivery.json is written later, by delivery,
# and the signed-off edition at sign-off (checked on its own, `_signed_off`).
BESIDE_OUTPUTS = frozenset({MANIFEST, signing.SIGNATURE, signing.PUBLIC_KEY, "delivery.json", SIGNED_OFF})
# Flags named one by one when the warehouse differs from an export (all are counted).
LISTED_FLAGS = 1000

# The chain's latest record of each (kind, record_key).
Latest = dict[tuple[str, str], evidence.Link]


@dataclass
class Verification:
    directory: Path
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what changed legitimately since the version


def _short(digest: str) -> str:
    return digest[:16]


def verify_version(home: Path, directory: Path, public_keys: list[Path] | None = None) -> Verification:
    """Check one report version of `home` (see the module docstring); `public_keys` are the keys
    trusted to have signed it (default: the configured signing key's)."""
    home = resolve_home(home)
    directory = Path(directory).resolve()
    if reports_dir(home) not in directory.parents:
        raise ComplianceError(f"not a report version of the home {home}: give its --home", path=str(directory))
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ComplianceError("not a report version: it has no manifest.json", path=str(directory))
    trusted = [signing.read_public(p) for p in public_keys] if public_keys else [signing.trusted_key(home)]
    result = Verification(directory)
    data = manifest_path.read_bytes()
    result.findings += _signature(directory, data, trusted)
    try:
        manifest = json.loads(data)
        month, version = manifest["month"], manifest["version"]
    except (ValueError, KeyError, TypeError):
        result.findings.append(f"{MANIFEST}: altered (no longer a report manifest)")
        return result
    if (directory.parent.name, directory.name) != (month, version):
        result.findings.append(f"{directory.parent.name}/{directory.name}: holds the manifest of {month}/{version} "
                               "(moved or renamed)")
    result.findings += _files(directory, manifest)
    result.findings += _committee(directory, manifest)
    result.findings += _signed_off(directory, data, trusted)
    with warehouse.connect(home, read_only=True) as con:
        try:
            chain = evidence.links(con)
        except duckdb.CatalogException:
            result.findings.append("warehouse: it has no evidence chain")
            return result
        result.findings += evidence.broken_links(chain)
        last = {(link.kind, link.record_key): link for link in chain}  # the latest of each kind and key
        result.findings += _chain_records(chain, last, manifest, data, directory)
        _flags(con, chain, last, manifest, directory, result)
        _batches(con, last, manifest, result)
    return result


def _signature(directory: Path, data: bytes, trusted: list) -> list[str]:
    signature_path = directory / signing.SIGNATURE
    if not signature_path.is_file():
        return [f"{signing.SIGNATURE}: deleted (the manifest is not signed)"]
    signature = signature_path.read_bytes()
    beside_path = directory / signing.PUBLIC_KEY
    try:
        beside = signing.read_public(beside_path)
    except ComplianceError:
        beside = None
    signer = next((key for key in trusted if signing.signed_by(key, signature, data)), None)
    if signer is not None:
        if beside is None:
            return [f"{signing.PUBLIC_KEY}: deleted or altered (no longer a public key)"]
        if signing.fingerprint(beside) != signing.fingerprint(signer):
            return [f"{signing.PUBLIC_KEY}: altered (not the key that signed the manifest)"]
        return []
    if beside is not None and signing.signed_by(beside, signature, data):
        return [f"{MANIFEST}: re-signed with key {_short(signing.fingerprint(beside))}, which is not trusted "
                f"(trusted: {', '.join(_short(signing.fingerprint(k)) for k in trusted)})"]
    return [f"{MANIFEST}: altered after it was signed (the signature does not match it)"]


def _files(directory: Path, manifest: dict, beside: frozenset | set = BESIDE_OUTPUTS) -> list[str]:
    listed = {out["file"]: out["sha256"] for out in (manifest.get("outputs") or {}).values()}
    problems = []
    for name, expected in sorted(listed.items()):
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: deleted")
        elif (actual := file_sha256(path)) != expected:
            problems.append(f"{name}: altered (sha256 {_short(actual)}…, the manifest lists {_short(expected)}…)")
    for path in sorted(directory.iterdir()):
        if path.name not in listed and path.name not in beside:
            problems.append(f"{path.name}: added (not in the manifest)")
    return problems


def _signed_off(directory: Path, version_manifest: bytes, trusted: list) -> list[str]:
    """The signed-off edition, if the version has one: signed by a trusted key, made from this
    very version, and every file as its manifest lists it."""
    edition = directory / SIGNED_OFF
    if not edition.is_dir():
        return []
    path = edition / MANIFEST
    if not path.is_file():
        return [f"{SIGNED_OFF}/{MANIFEST}: deleted"]
    data = path.read_bytes()
    problems = [f"{SIGNED_OFF}/{finding}" for finding in _signature(edition, data, trusted)]
    try:
        manifest = json.loads(data)
        made_from = manifest["version_manifest_sha256"]
    except (ValueError, KeyError, TypeError):
        return problems + [f"{SIGNED_OFF}/{MANIFEST}: altered (no longer a signed-off edition's manifest)"]
    if made_from != hashlib.sha256(version_manifest).hexdigest():
        problems.append(f"{SIGNED_OFF}: made from another manifest than this version's")
    beside = {MANIFEST, signing.SIGNATURE, signing.PUBLIC_KEY}
    problems += [f"{SIGNED_OFF}/{finding}" for finding in _files(edition, manifest, beside)]
    return problems


class _Figures(HTMLParser):
    """The text of every `data-metric` span (compliance/reports/templates/macros.html.j2)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.shown: dict[str, str] = {}
        self.key: str | None = None

    def handle_starttag(self, tag, attrs):
        key = dict(attrs).get("data-metric")
        if tag == "span" and key is not None:
            self.key = key
            self.shown[key] = ""

    def handle_endtag(self, tag):
        if tag == "span":
            self.key = None

    def handle_data(self, data):
        if self.key is not None:
            self.shown[self.key] += data


def committee_figures(committee: dict, locale: str = SOURCE_LOCALE) -> dict[str, str]:
    """Each committee figure as the summary's edition in `locale` shows it, from the manifest's
    `committee`."""
    say = translations(locale).gettext

    def cell_text(cell: dict | None) -> str:
        if cell is None:
            return say("n/a")
        return say("suppressed") if cell["suppressed"] else number(cell["value"], locale)

    def change_text(change: int | None) -> str:
        return "—" if change is None else f"{'+' if change > 0 else ''}{number(change, locale)}"

    expected = {}
    rows = [(f"committee.cat.{row['category']}", row) for row in committee["categories"]]
    for prefix, row in rows + [("committee.total", committee["total"])]:
        expected[f"{prefix}.current"] = cell_text(row["current"])
        expected[f"{prefix}.previous"] = cell_text(row["previous"])
        expected[f"{prefix}.change"] = change_text(row["change"])
    for domain, cell in (committee.get("domains") or {}).items():  # versions built before have none
        expected[f"committee.domain.{domain}"] = cell_text(cell)
    for measure, cell in committee["nyc"].items():
        expected[f"committee.nyc.{measure}"] = cell_text(cell)
    by_charge = committee.get("by_charge")  # versions built before it have none
    if by_charge:
        for key, cell in by_charge["rows"].items():
            expected[f"committee.charge.{key}"] = cell_text(cell)
        expected["committee.charge.total"] = cell_text(by_charge["total"])
    return expected


def _committee(directory: Path, manifest: dict) -> list[str]:
    """Every edition's figures against the manifest (versions built before an edition existed
    simply have none of it)."""
    if "committee" not in manifest:
        return []
    problems = []
    for locale in COMMITTEE_EDITIONS:
        name = ((manifest.get("outputs") or {}).get(committee_output(locale, "html")[0]) or {}).get("file")
        if not name or not (directory / name).is_file():
            continue
        reader = _Figures()
        reader.feed((directory / name).read_text(encoding="utf-8", errors="replace"))
        for key, expected in committee_figures(manifest["committee"], locale).items():
            shown = reader.shown.get(key)
            if shown is None:
                problems.append(f"{name}: figure {key} deleted (the manifest records {expected})")
            elif shown.strip() != expected:
                problems.append(f"{name}: figure {key} shows {shown.strip()!r}, the manifest records {expected!r}")
    return problems


def _chain_records(chain: list[evidence.Link], last: Latest, manifest: dict, data: bytes,
                   directory: Path) -> list[str]:
    """The records the version was built on and its own, and every version of the month the chain
    records."""
    problems = []
    by_seq = {link.seq: link for link in chain}
    anchors = {(a["seq"], a["hash"]) for a in (manifest.get("evidence") or {}).values() if a is not None}
    for seq, hash_ in sorted(anchors):
        link = by_seq.get(seq)
        if link is None:
            problems.append(f"evidence chain: record {seq}, which this version was built on, deleted")
        elif link.hash != hash_:
            problems.append(f"{link.name()}: not the record this version was built on (the chain was rewritten)")
    month, version = manifest["month"], manifest["version"]
    own = last.get(("report_version", f"{month}/{version}"))
    manifest_sha256 = hashlib.sha256(data).hexdigest()
    if own is None:
        problems.append(f"evidence chain: no record of report {month} {version} (deleted, or the version was "
                        "never recorded)")
    elif own.record["manifest_sha256"] != manifest_sha256:
        problems.append(f"{MANIFEST}: not the manifest recorded at {own.name()} (replaced)")
    for (kind, _), link in last.items():
        if kind != "report_version" or link.record.get("month") != month:
            continue
        if not (directory.parent / link.record["version"] / MANIFEST).is_file():
            problems.append(f"report {month} {link.record['version']}: deleted (recorded at {link.name()})")
    return problems


def _flags(con, chain: list[evidence.Link], last: Latest, manifest: dict, directory: Path,
           result: Verification) -> None:
    month = manifest["month"]
    where = f"warehouse flags {month}"
    built_on = (manifest.get("evidence") or {}).get("flags")
    anchored = next((link for link in chain
                     if built_on and (link.seq, link.hash) == (built_on["seq"], built_on["hash"])), None)
    if built_on is None:
        if manifest.get("flag_count"):
            result.findings.append(f"{where}: the version shows {manifest['flag_count']} flags that no "
                                   "evaluation recorded in the evidence chain")
    elif anchored is not None and anchored.record.get("digest") != manifest.get("flags_digest"):
        result.findings.append(f"{where}: the version's flags are not those its evaluation recorded at "
                               f"{anchored.name()} (changed outside the rules engine before the build)")
    evaluated = last.get(("flags", month))
    current = evidence.flags_record(con, month)
    if evaluated is None:
        if current["flags"]:
            result.findings.append(f"{where}: {current['flags']} flags that no evaluation recorded in the "
                                   "evidence chain (added outside the rules engine)")
        return
    if evaluated.record != current:
        result.findings.append(f"{where}: not the flags its last evaluation recorded at {evaluated.name()} "
                               "(changed outside the rules engine)")
    if built_on is None or evaluated.seq > built_on["seq"]:
        result.notes.append(f"{month} was evaluated again after this version ({evaluated.name()}); the "
                            "warehouse's flags are checked against that evaluation")
        return
    listed = (manifest.get("outputs") or {}).get("flags_parquet") or {}
    export = directory / listed.get("file", "")
    if not export.is_file() or file_sha256(export) != listed.get("sha256"):
        return  # already a finding; an altered export proves nothing about the warehouse
    differing = queries.rows(con, "evidence/flags_against_export",
                             {"month": month, "export": str(export), "listed": LISTED_FLAGS})
    for row in differing:
        what = {"deleted": "deleted (in the version's export, not in the warehouse)",
                "added": "added (in the warehouse, not in the version's export)",
                "altered": f"altered ({', '.join(row['columns'] or [])})"}[row["change"]]
        result.findings.append(f"{where}: flag {row['flag_id']} ({row['rule_id']}) {what}")
    if differing and differing[0]["differing"] > len(differing):
        result.findings.append(f"{where}: {differing[0]['differing'] - len(differing)} more flags differ")
    held = {row["category"]: row["flags"] for row in queries.rows(con, "evidence/flag_categories", {"month": month})}
    counted = manifest.get("counts_by_category") or {}
    for category in sorted(set(held) | set(counted)):
        if held.get(category, 0) != counted.get(category, 0):
            result.findings.append(f"{where}: {held.get(category, 0)} flags of category {category}, the "
                                   f"version counts {counted.get(category, 0)}")


def _batches(con, last: Latest, manifest: dict, result: Verification) -> None:
    batches = {row["batch_id"]: row for row in queries.rows(con, "evidence/batches")}
    held = {row["batch_id"]: row["rows_held"] for row in queries.rows(con, "evidence/batch_rows")}
    for batch_id, row in batches.items():
        name = f"batch {batch_id} ({row['table_name']} {row['path']})"
        link = last.get(("batch", batch_id))
        if link is None:
            result.findings.append(f"{name}: added outside ingest (no evidence chain record)")
        elif link.record != row:
            fields = sorted(k for k in set(row) | set(link.record) if row.get(k) != link.record.get(k))
            result.findings.append(f"{name}: altered ({', '.join(fields)} differ from {link.name()})")
        if held.get(batch_id, 0) != row["rows_loaded"]:
            result.findings.append(f"{row['table_name']}: batch {batch_id} holds {held.get(batch_id, 0)} rows, "
                                   f"{row['rows_loaded']} were loaded (rows deleted or added)")
    by_file: dict[tuple[str, str], list[dict]] = {}
    for row in batches.values():
        by_file.setdefault((row["table_name"], row["path"]), []).append(row)
    for entry in manifest.get("inputs") or []:
        table, path, sha256 = entry["table_name"], entry["path"], entry["sha256"]
        loaded = by_file.get((table, path), [])
        later = [row for row in loaded if row["sha256"] != sha256]
        if len(later) == len(loaded):
            if later:
                result.notes.append(f"{path}: replaced since this version (batch {later[0]['batch_id']})")
            else:
                result.findings.append(f"batches: the batch of {path} ({table}) deleted")
        landing = Path(path)
        if not landing.is_file():
            result.findings.append(f"landing file {path}: deleted or moved")
            continue
        now = file_sha256(landing)
        if now != sha256 and not any(row["sha256"] == now for row in later):
            result.findings.append(f"landing file {path}: altered since it was loaded (sha256 now "
                                   f"{_short(now)}…, loaded {_short(sha256)}…)")
