"""Failure and freshness alerts from the DAGs: one line in the task log, in `<home>/alerts.log` and,
when data engineers are named (`compliance_alert_recipients`), an e-mail to them through the same
Airflow SMTP connection as the reports (compliance/delivery/recipients.py).

`ComplianceAlertNotifier` is an Airflow `BaseNotifier`. The DAGs use one as `on_failure_callback`
in `default_args`, so a task that has used up its retries writes, for example::

    2026-03-01T11:04:05Z FAILED dag=compliance_monthly_report task=run_report run=scheduled__2026-02-01T11:00:00+00:00 try=3 error=ComplianceError: ...

The freshness check (kind STALE) and the daily ingest (kinds LATE and REFUSED) call it with an
explicit message instead of failing the run.

This module is imported by the DAG files at parse time: keep it to the standard library and
`airflow.sdk` (which the DAG file has loaded anyway); the SMTP hook is imported only to send.
Nothing here may raise out of a callback: a broken alert must never hide the failure it reports,
so file and mail errors are logged and swallowed, and the file is written before the mail is tried.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airflow.sdk import BaseNotifier

ALERTS_FILE = "alerts.log"
MAX_LINE = 1000


def _one_line(text: Any) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_LINE else flat[: MAX_LINE - 3] + "..."


def append_alert(home: Path, line: str) -> Path:
    """Append `line` to `<home>/alerts.log` (owner-only, like the rest of the home)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    path = home / ALERTS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(_one_line(line) + "\n")  # one write of one short line: atomic with O_APPEND
    return path


def _context_value(context: Any, key: str) -> Any:
    try:
        return context.get(key)
    except Exception:
        return None


def describe(context: Any, kind: str = "FAILED", message: str | None = None) -> str:
    """The one-line alert for a task callback context (or an explicit `message`)."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ti = _context_value(context, "ti") or _context_value(context, "task_instance")
    dag = _context_value(context, "dag")
    dag_id = getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None) or "?"
    task_id = getattr(ti, "task_id", None) or "-"
    run_id = _context_value(context, "run_id") or getattr(ti, "run_id", None) or "-"
    parts = [stamp, kind, f"dag={dag_id}", f"task={task_id}", f"run={run_id}"]
    try_number = getattr(ti, "try_number", None)
    if try_number is not None:
        parts.append(f"try={try_number}")
    if message is not None:
        parts.append(message)
    else:
        error = _context_value(context, "exception")
        if error is not None:
            detail = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error
            parts.append(f"error={detail}")
        else:
            parts.append("error=unknown (no exception in the callback context)")
    return _one_line(" ".join(parts))


class ComplianceAlertNotifier(BaseNotifier):
    """Log one alert line and append it to `<home>/alerts.log`.

    :param home: the warehouse home; default: resolved at alert time like the tasks resolve it
        (Airflow Variable `compliance_home`, else `COMPLIANCE_HOME`, else the checkout default).
    :param kind: the alert's first word after the time stamp (FAILED, STALE, LATE, REFUSED,
        INCOMPLETE, NO_DATA, ...).
    :param message: fixed text instead of the callback context's exception.
    """

    template_fields = ()

    def __init__(self, home: str | os.PathLike | None = None, kind: str = "FAILED",
                 message: str | None = None):
        super().__init__()
        self.home = home
        self.kind = kind
        self.message = message

    def _home(self) -> Path:
        from compliance.config import resolve_home
        from compliance.settings import resolve_locations

        return resolve_home(self.home or resolve_locations().home)

    def notify(self, context: Any) -> None:
        line = describe(context, kind=self.kind, message=self.message)
        self.log.error("compliance alert: %s", line)
        try:
            path = append_alert(self._home(), line)
        except Exception as exc:  # never let the alert hide the failure it reports
            self.log.error("compliance alert could not be written to %s: %s", ALERTS_FILE, exc)
        else:
            self.log.info("compliance alert appended to %s", path)
        self._mail(line)

    def _mail(self, line: str) -> None:
        from compliance.delivery.recipients import resolve_delivery

        try:
            settings = resolve_delivery()
            if not settings.alert_to:
                return
            mail_alert(settings.smtp_conn_id, settings.alert_to, line, self.kind)
        except Exception as exc:  # never let the alert hide the failure it reports
            self.log.error("compliance alert could not be e-mailed: %s", exc)
            return
        self.log.info("compliance alert e-mailed to %s", ", ".join(settings.alert_to))


def mail_alert(smtp_conn_id: str, to: list[str], line: str, kind: str) -> None:
    """One alert as a short plain e-mail: the kind and the DAG in the subject, the line in the body."""
    from html import escape

    from compliance.delivery.mail import send_email

    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    subject = f"[compliance] {kind}: {fields.get('dag', 'compliance')} {fields.get('task', '')}".strip()
    body = (f"<p>A compliance pipeline alert ({escape(kind)}). It is also in alerts.log in the "
            f"compliance home; docs/operations.md says what each kind means and what to do.</p>"
            f"<pre>{escape(line)}</pre>")
    send_email(smtp_conn_id, to, subject, body)
