"""Delivery end to end against a real SMTP server on loopback (aiosmtpd, started here).

The fast tests call `compliance.pipeline.deliver` as the DAG task does; the slow one runs the
monthly DAG with `airflow dags test`, recipients in Airflow Variables and the SMTP server in an
Airflow connection, both given through the environment as a deployment could.
"""
from __future__ import annotations

import email
import hashlib
import io
import json
import socket
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader

from compliance import pipeline, warehouse
from compliance.errors import ComplianceError

MONTH = "2016-03"
CONN_ID = "compliance_test_smtp"


class Inbox:
    def __init__(self):
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


def connection(port: int) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0,
                                 "timeout": 10, "from_email": "ig-reports@example.org"}})


@pytest.fixture
def smtp_server(monkeypatch):
    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", connection(port))
    inbox.port = port
    yield inbox
    controller.stop()


def small_home(home: Path, *, complete: bool) -> Path:
    """A warehouse with a few stable-rule flags and one blocking check (passing or not)."""
    with warehouse.connect(home) as con:
        for i in range(12):
            con.execute("INSERT INTO flags VALUES (?, 'ineligible_hold', 'v', 'ineligible_hold', 'high', ?, "
                        "'detainer', ?, NULL, ?, TIMESTAMPTZ '2016-03-10 12:00:00-05', 'held', '{}')",
                        [f"f{i}", MONTH, f"D{i}", f"P{i}"])
        con.execute("INSERT INTO validation_runs VALUES (?, 'detainers', 'detainers', 'not null', true, ?, '', '{}')",
                    [MONTH, complete])
        con.execute("INSERT INTO run_log VALUES ('r', 'evaluate', ?, now(), now(), 'success', '{}')", [MONTH])
    return home


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}


def test_committee_summary_and_ig_note_arrive(tmp_path, smtp_server):
    home = small_home(tmp_path / "home", complete=True)
    reports = pipeline.build_reports(home, MONTH)
    outcome = pipeline.deliver(home, MONTH, committee_to=["chair@example.org", "clerk@example.org"],
                               ig_to=["ig-staff@example.org"], smtp_conn_id=CONN_ID)
    assert outcome == {"month": MONTH, "version": "v1", "status": "complete", "committee": "sent",
                       "ig_note": "sent"}
    [committee] = smtp_server.to("chair@example.org")
    assert smtp_server.to("clerk@example.org") == [committee]
    assert committee["Subject"] == f"Immigration data-sharing summary for March 2016 ({MONTH})"
    assert committee["X-Compliance-Month"] == MONTH and committee["From"] == "ig-reports@example.org"
    files = attachments(committee)
    pdf = files[f"committee-summary-{MONTH}.pdf"]
    assert hashlib.sha256(pdf).hexdigest() == hashlib.sha256(reports.files["committee_pdf"].read_bytes()).hexdigest()
    assert "summary for March 2016" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    [note] = smtp_server.to("ig-staff@example.org")
    assert note["Subject"] == f"Compliance report {MONTH} v1 ready: complete, 12 flags"
    assert attachments(note) == {}
    assert "Committee summary: sent." in note.get_body(("html",)).get_content()

    again = pipeline.deliver(home, MONTH, committee_to=["chair@example.org", "clerk@example.org"],
                             ig_to=["ig-staff@example.org"], smtp_conn_id=CONN_ID)
    assert again["committee"].startswith("already sent") and again["ig_note"].startswith("already sent")
    assert len(smtp_server.messages) == 2


def test_incomplete_month_is_not_sent_to_the_committee(tmp_path, smtp_server):
    home = small_home(tmp_path / "home", complete=False)
    pipeline.build_reports(home, MONTH)
    outcome = pipeline.deliver(home, MONTH, committee_to=["chair@example.org"], ig_to=["ig-staff@example.org"],
                               smtp_conn_id=CONN_ID)
    assert outcome["status"] == "INCOMPLETE" and outcome["committee"] == "withheld: the month is INCOMPLETE"
    assert smtp_server.to("chair@example.org") == []
    [note] = smtp_server.to("ig-staff@example.org")
    assert "INCOMPLETE" in note["Subject"]
    assert "withheld: the month is INCOMPLETE" in note.get_body(("html",)).get_content()


def test_unreachable_server_is_one_line_error(tmp_path, monkeypatch):
    home = small_home(tmp_path / "home", complete=True)
    pipeline.build_reports(home, MONTH)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", connection(free_port()))
    with pytest.raises(ComplianceError) as error:
        pipeline.deliver(home, MONTH, committee_to=["chair@example.org"], ig_to=[], smtp_conn_id=CONN_ID)
    assert "not sent through SMTP connection 'compliance_test_smtp'" in str(error.value)
    assert "\n" not in str(error.value)
    assert not (home / "reports" / MONTH / "v1" / "delivery.json").exists()


@pytest.mark.slow
def test_monthly_dag_delivers_through_the_smtp_provider(tmp_path, smtp_server):
    from compliance.airflow_local import (airflow_cli, airflow_env, dag_results, explain,
                                          prepare_airflow_home, run_succeeded)
    from compliance.synth import generate

    month = "2016-02"
    landing, home, airflow_home = tmp_path / "landing", tmp_path / "home", tmp_path / "airflow"
    generate(landing, month, month, 3)
    pipeline.ingest_landing(home, landing)
    prepare_airflow_home(airflow_home)
    env = airflow_env(airflow_home, home)
    env.update({
        f"AIRFLOW_CONN_{CONN_ID.upper()}": connection(smtp_server.port),
        "AIRFLOW_VAR_COMPLIANCE_SMTP_CONN_ID": CONN_ID,
        "AIRFLOW_VAR_COMPLIANCE_COMMITTEE_RECIPIENTS": "chair@example.org, clerk@example.org",
        "AIRFLOW_VAR_COMPLIANCE_IG_RECIPIENTS": "ig-staff@example.org",
    })
    proc = airflow_cli(airflow_home, "dags", "test", "compliance_monthly_report", "-c",
                       json.dumps({"month": month}), env=env)
    assert run_succeeded(proc), explain(proc)
    [result] = dag_results(proc)
    delivery = [json.loads(line.split("COMPLIANCE_DELIVERY ", 1)[1])
                for line in (proc.stdout + proc.stderr).splitlines() if "COMPLIANCE_DELIVERY " in line]
    assert delivery and delivery[0]["committee"] == "sent" and delivery[0]["ig_note"] == "sent", explain(proc)
    [committee] = smtp_server.to("chair@example.org")
    assert committee["Subject"] == f"Immigration data-sharing summary for February 2016 ({month})"
    pdf = attachments(committee)[f"committee-summary-{month}.pdf"]
    assert pdf == Path(result["reports"]["committee_pdf"]).read_bytes()
    [note] = smtp_server.to("ig-staff@example.org")
    assert note["Subject"].startswith(f"Compliance report {month} {result['report_version']} ready")
