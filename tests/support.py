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
