"""Helpers shared across test folders (tests/ is on pytest's pythonpath)."""
import email
import json
import os
import shutil
import socket
from email import policy
from pathlib import Path

import pytest

# The Philadelphia pack's zone (policies/philadelphia.yaml): the month bounds tests reason in.
PACK_TZ = "America/New_York"

# Canonical headers of two landing tables, for files the tests write.
DETAINER_HEADER = ("detainer_id,person_id,booking_id,received_at,form_type,attachments,action,"
                   "action_at,notice_sent_at,judicial_warrant_signed_by")
ACCESS_HEADER = ("event_id,event_ts,account_id,client_addr,action,subject_person_id,search_terms,"
                 "case_number,purpose_code,result_count,outcome,sequence_no")


def write(path: Path, content: str | bytes) -> Path:
    """A file written byte for byte (its folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def skip_or_fail(reason: str) -> None:
    """A missing server or binary skips on a developer's machine; in CI (CI=true) it fails."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it through .ci/apt-packages.txt)")
    pytest.skip(reason)


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed")
    return path


# --- a real SMTP server on loopback (aiosmtpd; the `smtp_server` fixture starts one) ----------------
SMTP_CONN_ID = "compliance_test_smtp"


class Inbox:
    """What the SMTP server received: parsed messages and, beside each, its envelope recipients."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m, r in zip(self.messages, self.recipients) if address in r]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_connection(port: int) -> str:
    """An Airflow SMTP connection, as JSON for AIRFLOW_CONN_<ID>, to a plain server on loopback."""
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0,
                                 "timeout": 10, "from_email": "ig-reports@example.org"}})


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}


def delivered(month: str) -> dict[str, list[dict]]:
    """Rows for tiny_home by which every source of the default pack's `report_sources` delivered
    for every day of `month` (one record a day each, at local noon; the detainers as a file of no
    rows named for the month): what makes a month complete rather than NO DATA or INCOMPLETE."""
    import calendar

    year, number = (int(part) for part in month.split("-"))
    days = [f"{month}-{day:02d}T12:00:00-04:00" for day in range(1, calendar.monthrange(year, number)[1] + 1)]
    return {
        "arrests": [{"arrest_id": f"A{i}", "person_id": "P1", "arrest_ts": ts, "batch_id": "delivered",
                     "source_line": i + 2} for i, ts in enumerate(days)],
        "custody_events": [{"event_id": f"C{i}", "person_id": "P1", "booking_id": "B1", "event_type": "booked",
                            "event_ts": ts, "batch_id": "delivered", "source_line": i + 2} for i, ts in enumerate(days)],
        "access_events": [{"event_id": f"{source}-{i}", "event_ts": ts, "account_id": "u1", "source": source,
                           "batch_id": "delivered", "source_line": i + 2}
                          for source in ("pars_app", "pars_db") for i, ts in enumerate(days)],
        "batches": [{"batch_id": "detainers-file", "source": "canonical", "table_name": "detainers",
                     "path": f"landing/detainers/detainers_{month}.csv", "sha256": "0" * 64, "rows_read": 0,
                     "rows_loaded": 0, "rows_quarantined": 0, "rows_ignored": 0, "ignored_reasons": {},
                     "ingested_at": "2026-01-01T06:00:00Z"}],
    }
