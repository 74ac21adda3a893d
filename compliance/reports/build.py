"""Building a month's reports as one version: `<home>/reports/<month>/v<N>/`.

The warehouse is opened read-only and only while the figures are read, the flag exports are written
by DuckDB and compared with the previous version's; charts, HTML and PDF are rendered after it is
closed, so a report never holds the warehouse lock while WeasyPrint works. If nothing the reports
show has changed since the latest version (same fingerprint), that version is kept and nothing is
written. Each version's manifest is signed (`signing.py`) and names the evidence chain's head and
the month's flag record it was built on; the version itself then joins the chain (docs/evidence.md).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from compliance import evidence, warehouse
from compliance.errors import ComplianceError
from compliance.policy.pack import PolicyPack
from compliance.reports import signing, verify, versions
from compliance.reports.collect import collect, digest
from compliance.reports.i18n import COMMITTEE_EDITIONS, committee_output
from compliance.reports.manifest import WITHHELD_STATUSES
from compliance.reports.options import ReportOptions

OUTPUTS = {
    "ig_html": "ig-report-{month}.html",
    "ig_pdf": "ig-report-{month}.pdf",
    # committee_html, committee_pdf, committee_es_html, committee_es_pdf, ...
    **dict(committee_output(locale, extension) for locale in COMMITTEE_EDITIONS for extension in ("html", "pdf")),
    "flags_csv": "flags-{month}.csv",
    "flags_parquet": "flags-{month}.parquet",
    "illinois_csv": "illinois-trust-act-{month}.csv",
    "nyc_csv": "nyc-detainers-{month}.csv",
    # What the reports were rendered from, so that a sign-off renders its edition from the same
    # figures without the warehouse (`render_signed_off`).
    "report_data": "report-data-{month}.json",
}
# The outputs a signed-off edition renders again, with the reviews as they stood at sign-off.
SIGNED_OFF_OUTPUTS = ("ig_html", "ig_pdf", *(committee_output(locale, extension)[0]
                                             for locale in COMMITTEE_EDITIONS for extension in ("html", "pdf")))
SIGNED_OFF = verify.SIGNED_OFF


@dataclass(frozen=True)
class ReportSet:
    """One version of a month's reports. `created` is False when the latest version was kept."""

    month: str
    version: str
    directory: Path
    created: bool
    status: str
    files: dict[str, Path]
    missing_sources: tuple[str, ...] = ()  # the report sources that missed days (manifest.py)

    @property
    def ig_html(self) -> Path:
        return self.files["ig_html"]

    @property
    def incomplete(self) -> bool:
        """NO DATA or INCOMPLETE: a month that is not sent to the committee."""
        return self.status in WITHHELD_STATUSES

    def as_dict(self) -> dict:
        return {"month": self.month, "version": self.version, "directory": str(self.directory),
                "created": self.created, "status": self.status,
                "files": {key: str(path) for key, path in self.files.items()}}


def output_names(month: str) -> dict[str, str]:
    return {key: pattern.format(month=month) for key, pattern in OUTPUTS.items()}


def _sha256(path: Path) -> str:
    digest_ = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest_.update(block)
    return digest_.hexdigest()


def report_set(directory: Path, manifest: dict, created: bool) -> ReportSet:
    return ReportSet(manifest["month"], manifest["version"], directory, created, manifest["status"],
                     {key: directory / out["file"] for key, out in manifest["outputs"].items()},
                     tuple(manifest.get("missing_sources", ())))


def _render_readable(staged: Path, data: dict, manifest: dict, names: dict, previous: dict | None,
                     review: dict | None) -> dict:
    """Write the IG report and the committee editions (HTML, PDF) into `staged`, showing `review`
    (compliance/review/state.py, `summary`); return the PDFs' page counts."""
    from compliance.reports.charts import trend_charts
    from compliance.reports.committee import render_committee, review_split, version_notes
    from compliance.reports.monthly import evaluated_months, render_ig
    from compliance.reports.pdf import write_pdf

    generated = manifest["generated_at"]
    charts = trend_charts(data["trend_months"], data["flag_counts"], evaluated_months(data),
                          data["policy_changes"])
    common = {"manifest": manifest, "changes": manifest["changes"], "charts": charts, "files": names,
              "generated_at": generated, "review": review}
    (staged / names["ig_html"]).write_text(render_ig(data, pdf=False, **common), encoding="utf-8")
    ig_pages = write_pdf(render_ig(data, pdf=True, **common), staged / names["ig_pdf"])
    notes = version_notes(previous, manifest["committee"], manifest["status"], data["policy"])
    split = review_split(data, review) if review else None
    pages = {"ig": ig_pages}
    for locale in COMMITTEE_EDITIONS:
        html_key, pdf_key = committee_output(locale, "html")[0], committee_output(locale, "pdf")[0]
        committee_html = render_committee(data, committee=manifest["committee"], manifest=manifest,
                                          generated_at=generated, notes=notes, names=names, locale=locale,
                                          review=split)
        (staged / names[html_key]).write_text(committee_html, encoding="utf-8")
        pages[pdf_key.removesuffix("_pdf")] = write_pdf(committee_html, staged / names[pdf_key])
    return pages  # {"ig": 33, "committee": 4, "committee_es": 4}


def _render(staged: Path, data: dict, manifest: dict, names: dict, previous: dict | None,
            review: dict | None) -> dict:
    """Write every output but the flag exports into `staged`; return the PDFs' page counts."""
    from compliance.reports.statutory import write_illinois, write_nyc

    pages = _render_readable(staged, data, manifest, names, previous, review)
    write_illinois(data, staged / names["illinois_csv"])
    write_nyc(data, staged / names["nyc_csv"])
    (staged / names["report_data"]).write_text(json.dumps(data, sort_keys=True, ensure_ascii=False),
                                               encoding="utf-8")
    return pages


def build_reports(home: Path, month: str, pack: PolicyPack, options: ReportOptions | None = None, *,
                  review=None, keep_unchanged: bool = True) -> ReportSet:
    """Build the month's IG report (HTML, PDF), committee summary (HTML, tagged PDF), flag exports
    (CSV, Parquet) and statutory exports as a new version, or keep the latest if nothing changed
    and `keep_unchanged`; either way the version is in the evidence chain when this returns.
    `review(flags_parquet, flag_ids)`, when given, says where the review of those flags stands
    (compliance/review/state.py, `summary`), for the reports to show."""
    reports = _build_version(home, month, pack, options, review, keep_unchanged)
    chain_version(home, reports.directory)
    return reports


def version_record(directory: Path) -> dict:
    """A report version as the evidence chain records it: its manifest's sha256 and what that
    manifest says of the flags and of the key that signed it."""
    manifest = versions.read_manifest(directory)
    return {"month": manifest["month"], "version": manifest["version"],
            "manifest_sha256": _sha256(directory / versions.MANIFEST),
            "fingerprint": manifest["fingerprint"], "flag_count": manifest["flag_count"],
            "flags_digest": manifest["flags_digest"],
            "signing_key_sha256": (manifest.get("signing") or {}).get("public_key_sha256")}


def chain_version(home: Path, directory: Path) -> evidence.Link:
    """Append the version to the evidence chain, once: a version kept on a re-run, or published by a
    build that was killed before it got here, is recorded by the next build."""
    record = version_record(directory)
    with warehouse.connect(Path(home)) as con:
        return evidence.append(con, "report_version", f"{record['month']}/{record['version']}", record)


def _build_version(home: Path, month: str, pack: PolicyPack, options: ReportOptions | None, review,
                   keep_unchanged: bool) -> ReportSet:
    from compliance.reports.committee import figures
    from compliance.reports.exports import write_flags_exports
    from compliance.reports.manifest import changes, core, flag_changes
    from compliance.rules.catalog import load_rules

    options = options or ReportOptions()
    started = time.perf_counter()
    folder = versions.month_dir(Path(home), month)
    names = output_names(month)
    signing_key = signing.signing_key(Path(home))
    with versions.owner_only():
        with warehouse.connect(Path(home), read_only=True) as con:
            data = collect(con, month, pack, options, load_rules())
            fingerprint = digest(data)
            latest = versions.latest_version(folder)
            previous = versions.read_manifest(latest) if latest else None
            # A version built before it kept its report data cannot be signed off: it is rebuilt.
            if (keep_unchanged and previous and previous["fingerprint"] == fingerprint
                    and "report_data" in previous["outputs"]):
                return report_set(latest, previous, created=False)
            flags_link = evidence.latest(con, "flags", month)
            head = evidence.head(con)
            built_on = {"chain_head": head.anchor() if head else None,
                        "flags": flags_link.anchor() if flags_link else None}
            staged = versions.staging(folder)
            try:
                write_flags_exports(con, month, pack.timezone, staged / names["flags_parquet"],
                                    staged / names["flags_csv"])
                changed_flags = flag_changes(con, latest, previous, staged / names["flags_parquet"])
            except BaseException:
                versions.discard(staged)
                raise
        try:
            number = max(versions.version_numbers(folder), default=0) + 1
            manifest = core(data, fingerprint, figures(data))
            manifest.update(
                evidence=built_on,
                signing=signing.manifest_entry(signing_key),
                version=f"v{number}",
                previous_version=previous["version"] if previous else None,
                generated_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
            manifest["changes"] = changes(previous, manifest, changed_flags)
            shown = review(staged / names["flags_parquet"], [f["flag_id"] for f in data["flags"]]) if review else None
            manifest["pdf_pages"] = _render(staged, data, manifest, names, previous, shown)
            manifest["build_seconds"] = round(time.perf_counter() - started, 3)
            manifest["outputs"] = {key: {"file": name, "sha256": _sha256(staged / name),
                                         "bytes": (staged / name).stat().st_size}
                                   for key, name in names.items()}
            (staged / versions.MANIFEST).write_text(
                json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
            signing.sign(staged, versions.MANIFEST, signing_key)
        except BaseException:
            versions.discard(staged)
            raise
        directory = versions.publish(staged, folder, number)
    return report_set(directory, manifest, created=True)


def render_signed_off(version_dir: Path, review: dict, signing_key) -> Path:
    """Render the version's IG report and committee editions again into `<version>/signed-off/`,
    showing `review` as it stood at sign-off (its `signoff` included), from the version's own
    report data: no warehouse is read, so a sign-off works while a DAG run holds its lock. The
    folder's manifest lists each file's sha256 and is signed like a version's; return its path."""
    manifest = versions.read_manifest(version_dir)
    names = {key: out["file"] for key, out in manifest["outputs"].items()}
    data = json.loads((version_dir / names["report_data"]).read_text(encoding="utf-8"))
    previous_dir = version_dir.parent / manifest["previous_version"] if manifest.get("previous_version") else None
    previous = versions.read_manifest(previous_dir) if previous_dir and previous_dir.is_dir() else None
    target = version_dir / SIGNED_OFF
    if target.exists():
        raise ComplianceError(f"{manifest['month']} {manifest['version']} already has a signed-off edition",
                              path=str(target))
    with versions.owner_only():
        staged = version_dir / f".{SIGNED_OFF}-{os.getpid()}"
        staged.mkdir()
        try:
            _render_readable(staged, data, manifest, names, previous, review)
            edition = {"month": manifest["month"], "version": manifest["version"],
                       "version_manifest_sha256": _sha256(version_dir / versions.MANIFEST),
                       "signoff": review["signoff"],
                       "review": {k: review[k] for k in ("total", "reviewed", "open", "by_disposition")},
                       "outputs": {key: {"file": names[key], "sha256": _sha256(staged / names[key])}
                                   for key in SIGNED_OFF_OUTPUTS}}
            (staged / versions.MANIFEST).write_text(json.dumps(edition, indent=2, sort_keys=True, ensure_ascii=False),
                                                    encoding="utf-8")
            signing.sign(staged, versions.MANIFEST, signing_key)
            staged.rename(target)
        except BaseException:
            versions.discard(staged)
            raise
    return target / versions.MANIFEST
