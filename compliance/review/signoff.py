"""Sign-off: an approver accepts one report version of a month (docs/review.md, "Sign-off").

Signing off renders the version's signed-off edition (`<version>/signed-off/`: the IG report and
the committee summaries as the review stood, signed like a version) from the version's own report
data, then records the sign-off in the review store. The committee summary is e-mailed only from a
signed-off edition. A re-run after a sign-off makes a new version, which needs its own sign-off.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from compliance.errors import ComplianceError
from compliance.reports import signing, versions
from compliance.reports.build import render_signed_off
from compliance.review import state, users
from compliance.review.store import ReviewStore, now


@dataclass(frozen=True)
class Signoff:
    month: str
    version: str
    manifest_sha256: str
    signed_by: str
    note: str
    signed_at: str
    edition_sha256: str


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def signoff_of(store: ReviewStore, home: Path, month: str, version: str | None = None) -> Signoff | None:
    """The sign-off of the month's `version` (default: its latest version), if it has one."""
    directory = versions.resolve(Path(home), month, version)
    found = [Signoff(**row) for row in state.signoffs(store, month) if row["version"] == directory.name]
    return found[0] if found else None


def sign_off(store: ReviewStore, home: Path, month: str, *, by: str, note: str = "",
             version: str | None = None) -> Signoff:
    """Sign off the month's `version` (default: the latest) as `by`; one-line error, and nothing
    recorded, when it cannot be: no such version, already signed off, or `by` not an approver
    (once the store has accounts, docs/review.md)."""
    if not by.strip():
        raise ComplianceError("a sign-off needs the approver's name (--by)", field="by")
    if users.any_users(store) and users.role_of(store, by.strip()) != "approver":
        raise ComplianceError(f"{by!r} is not an approver: only an approver signs a month off", field="by")
    directory = versions.resolve(Path(home), month, version)
    latest = versions.latest_version(directory.parent)
    if directory.name != latest.name:
        raise ComplianceError(f"{month} {directory.name} is not the latest version ({latest.name}): "
                              "sign off the latest", field="version")
    done = signoff_of(store, home, month, directory.name)
    if done:
        raise ComplianceError(f"{month} {directory.name} is already signed off by {done.signed_by} at "
                              f"{done.signed_at}; a new sign-off needs a new version (re-run the month)",
                              field="version")
    signed_at = now()
    manifest_sha256 = _sha256(directory / versions.MANIFEST)
    review = state.summary(store, Path(home), month, state.flags_file(directory), _detailed(directory),
                           version=directory.name)
    review["signoff"] = {"month": month, "version": directory.name, "signed_by": by.strip(), "note": note.strip(),
                         "signed_at": signed_at}
    edition = render_signed_off(directory, review, signing.signing_key(Path(home)))
    record = Signoff(month, directory.name, manifest_sha256, by.strip(), note.strip(), signed_at, _sha256(edition))
    try:
        store.write("review/append_signoff", [record.__dict__])
    except BaseException:
        versions.discard(edition.parent)  # no sign-off recorded: no signed-off edition either
        raise
    return record


def _detailed(directory: Path) -> list[str]:
    """The flags the version's reports detail (its report data)."""
    import json

    manifest = versions.read_manifest(directory)
    data = json.loads((directory / manifest["outputs"]["report_data"]["file"]).read_text(encoding="utf-8"))
    return [flag["flag_id"] for flag in data["flags"]]
