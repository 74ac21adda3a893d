"""E-mailing one report version: the committee summary (PDF attached) and a short note to IG staff,
through Airflow's SMTP provider (`SmtpHook`, configured by an Airflow connection).

Reads the version folder only (its manifest and PDF), never the warehouse. What was sent is kept in
the version's `delivery.json`, so a retried or re-run task does not send the same version to the
same people twice; a new version (late data) is sent again and says what changed. The committee
summary is sent only once an approver has signed the version off, and then as its signed-off
edition (docs/review.md); an INCOMPLETE or NO DATA month is not sent to the committee. The IG note
says which.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from compliance.errors import ComplianceError
from compliance.reports import versions
from compliance.reports.build import SIGNED_OFF
from compliance.reports.i18n import COMMITTEE_EDITIONS, committee_output
from compliance.reports.manifest import WITHHELD_STATUSES
from compliance.reports.monthly import month_label
from compliance.reports.render import render

DELIVERY_LOG = "delivery.json"
TEMPLATES = Path(__file__).parent / "templates"


def _read_log(directory: Path) -> dict:
    path = directory / DELIVERY_LOG
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _write_log(directory: Path, log: dict) -> None:
    staged = directory / f".{DELIVERY_LOG}.{os.getpid()}"
    with versions.owner_only():
        staged.write_text(json.dumps(log, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(staged, directory / DELIVERY_LOG)


def send_email(smtp_conn_id: str, to: list[str], subject: str, html: str, *, files: list[Path] = (),
               headers: dict | None = None) -> None:
    """One message through the Airflow SMTP connection `smtp_conn_id`; one-line error on failure."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    try:
        with SmtpHook(smtp_conn_id=smtp_conn_id) as hook:
            hook.send_email_smtp(to=list(to), subject=subject, html_content=html,
                                 files=[str(f) for f in files], custom_headers=headers or {})
    except Exception as exc:  # the hook raises smtplib, socket and Airflow errors alike
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ComplianceError(f"e-mail {subject!r} not sent through SMTP connection "
                              f"{smtp_conn_id!r}: {first}", field="smtp") from None


def _already_sent(log: dict, kind: str, to: list[str]) -> str | None:
    entry = log.get(kind)
    return entry["sent_at"] if entry and sorted(entry["to"]) == sorted(to) else None


def deliver_reports(home: Path, month: str, *, committee_to: list[str], ig_to: list[str],
                    smtp_conn_id: str, version: str | None = None) -> dict:
    """Send the month's committee summary and IG note for `version` (default: the latest);
    return what happened to each, e.g. {"committee": "sent", "ig_note": "sent", ...}."""
    directory = versions.resolve(Path(home), month, version)
    manifest = versions.read_manifest(directory)
    log = _read_log(directory)
    label = month_label(month)
    number = int(manifest["version"][1:])
    headers = {"X-Compliance-Month": month, "X-Compliance-Report-Version": manifest["version"]}
    outcome = {"month": month, "version": manifest["version"], "status": manifest["status"]}

    if not committee_to:
        outcome["committee"] = "no recipients configured"
    elif manifest["status"] in WITHHELD_STATUSES:
        outcome["committee"] = f"withheld: the month is {manifest['status']}"
    elif sent_at := _already_sent(log, "committee", committee_to):
        outcome["committee"] = f"already sent at {sent_at}"
    elif _signoff(Path(home), month, manifest["version"]) is None:
        outcome["committee"] = f"held: {manifest['version']} awaits an approver's sign-off"
    else:
        # Every edition of the signed-off edition: English first, then the translations (es, ...).
        attachments = [directory / SIGNED_OFF / manifest["outputs"][key]["file"]
                       for locale in COMMITTEE_EDITIONS
                       if (key := committee_output(locale, "pdf")[0]) in manifest["outputs"]]
        subject = (f"Immigration data-sharing summary for {label} ({month})"
                   + (f", revised ({manifest['version']})" if number > 1 else ""))
        body = render("committee_email.html.j2", TEMPLATES, subject=subject, month_label=label,
                       attachments=[a.name for a in attachments], version_number=number)
        send_email(smtp_conn_id, committee_to, subject, body, files=attachments, headers=headers)
        log["committee"] = {"to": sorted(committee_to), "sent_at": _now(), "subject": subject}
        _write_log(directory, log)
        outcome["committee"] = "sent"

    if not ig_to:
        outcome["ig_note"] = "no recipients configured"
    elif sent_at := _already_sent(log, "ig_note", ig_to):
        outcome["ig_note"] = f"already sent at {sent_at}"
    else:
        subject = (f"Compliance report {month} {manifest['version']} ready: {manifest['status']}, "
                   f"{manifest['flag_count']} flags")
        body = render("ig_note.html.j2", TEMPLATES, subject=subject, month_label=label, manifest=manifest,
                       counts=sorted(manifest["counts_by_category"].items()),
                       changes=manifest["changes"], committee_outcome=outcome["committee"])
        send_email(smtp_conn_id, ig_to, subject, body, headers=headers)
        log["ig_note"] = {"to": sorted(ig_to), "sent_at": _now(), "subject": subject}
        _write_log(directory, log)
        outcome["ig_note"] = "sent"
    return outcome


def _signoff(home: Path, month: str, version: str):
    from compliance.review.signoff import signoff_of
    from compliance.review.store import exists, open_store

    if not exists(home):
        return None
    with open_store(home) as store:
        return signoff_of(store, home, month, version)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
