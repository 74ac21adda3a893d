"""Delivery end to end against a real SMTP server on loopback (aiosmtpd, the `smtp_server` fixture).

These call `compliance.pipeline.deliver` as the DAG task does; the monthly DAG's own delivery,
recipients in Airflow Variables and the server in an Airflow connection, is checked in
tests/dags/test_monthly_dag_run.py.
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from compliance import pipeline, warehouse
from compliance.errors import ComplianceError
from support import SMTP_CONN_ID, attachments, delivered, free_port, smtp_connection

MONTH = "2016-03"


def small_home(home: Path, *, complete: bool) -> Path:
    """A warehouse with a few stable-rule flags, every report source delivered and one blocking
    check (passing or not)."""
    with warehouse.connect(home) as con:
        for table, rows in delivered(MONTH).items():
            for row in rows:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM (SELECT {', '.join('?' for _ in row)}) "
                            f"t({', '.join(row)})", [json.dumps(v) if isinstance(v, dict) else v for v in row.values()])
        for i in range(12):
            con.execute("INSERT INTO flags VALUES (?, 'ineligible_hold', 'v', 'ineligible_hold', 'high', ?, "
                        "'detainer', ?, NULL, ?, TIMESTAMPTZ '2016-03-10 12:00:00-05', 'held', '{}')",
                        [f"f{i}", MONTH, f"D{i}", f"P{i}"])
        con.execute("INSERT INTO validation_runs VALUES (?, 'detainers', 'detainers', 'not null', true, ?, '', '{}')",
                    [MONTH, complete])
        con.execute("INSERT INTO run_log VALUES ('r', 'evaluate', ?, now(), now(), 'success', '{}')", [MONTH])
    return home


def test_committee_summary_waits_for_the_signoff_and_the_ig_note_does_not(tmp_path, smtp_server):
    home = small_home(tmp_path / "home", complete=True)
    pipeline.build_reports(home, MONTH)
    committee_to, ig_to = ["chair@example.org", "clerk@example.org"], ["ig-staff@example.org"]
    before = pipeline.deliver(home, MONTH, committee_to=committee_to, ig_to=ig_to, smtp_conn_id=SMTP_CONN_ID)
    assert before == {"month": MONTH, "version": "v1", "status": "complete",
                      "committee": "held: v1 awaits an approver's sign-off", "ig_note": "sent"}
    assert smtp_server.to("chair@example.org") == []
    [note] = smtp_server.to("ig-staff@example.org")
    assert note["Subject"] == f"Compliance report {MONTH} v1 ready: complete, 12 flags"
    assert attachments(note) == {}
    assert "Committee summary: held: v1 awaits an approver" in note.get_body(("html",)).get_content()

    from compliance.review.queue import record
    from compliance.review.store import open_store

    with open_store(home) as store:
        record(store, home, ["f0", "f1", "f2"], disposition="confirmed", note="", reviewer="ana")
        record(store, home, ["f3"], disposition="false_positive", note="", reviewer="ana")
    signed = pipeline.sign_off(home, MONTH, by="director", note="reviewed")
    assert (signed["version"], signed["signed_by"]) == ("v1", "director")

    after = pipeline.deliver(home, MONTH, committee_to=committee_to, ig_to=ig_to, smtp_conn_id=SMTP_CONN_ID)
    assert after["committee"] == "sent" and after["ig_note"].startswith("already sent")
    [committee] = smtp_server.to("chair@example.org")
    assert smtp_server.to("clerk@example.org") == [committee]
    assert committee["Subject"] == f"Immigration data-sharing summary for March 2016 ({MONTH})"
    assert committee["X-Compliance-Month"] == MONTH and committee["From"] == "ig-reports@example.org"
    files = attachments(committee)
    pdf = files[f"committee-summary-{MONTH}.pdf"]
    edition = home / "reports" / MONTH / "v1" / "signed-off"
    assert hashlib.sha256(pdf).hexdigest() == hashlib.sha256(
        (edition / f"committee-summary-{MONTH}.pdf").read_bytes()).hexdigest()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "summary for March 2016" in text
    # The signed-off edition splits what the review confirmed from what it has not reached yet.
    assert "confirmed violations, 3; set aside, 1; still under review, 8" in text

    again = pipeline.deliver(home, MONTH, committee_to=committee_to, ig_to=ig_to, smtp_conn_id=SMTP_CONN_ID)
    assert again["committee"].startswith("already sent") and again["ig_note"].startswith("already sent")
    assert len(smtp_server.messages) == 2


def test_incomplete_month_is_not_sent_to_the_committee(tmp_path, smtp_server):
    home = small_home(tmp_path / "home", complete=False)
    pipeline.build_reports(home, MONTH)
    outcome = pipeline.deliver(home, MONTH, committee_to=["chair@example.org"], ig_to=["ig-staff@example.org"],
                               smtp_conn_id=SMTP_CONN_ID)
    assert outcome["status"] == "INCOMPLETE" and outcome["committee"] == "withheld: the month is INCOMPLETE"
    assert smtp_server.to("chair@example.org") == []
    [note] = smtp_server.to("ig-staff@example.org")
    assert "INCOMPLETE" in note["Subject"]
    assert "withheld: the month is INCOMPLETE" in note.get_body(("html",)).get_content()


def test_unreachable_server_is_one_line_error(tmp_path, monkeypatch):
    home = small_home(tmp_path / "home", complete=True)
    pipeline.build_reports(home, MONTH)
    pipeline.sign_off(home, MONTH, by="director")
    monkeypatch.setenv(f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}", smtp_connection(free_port()))
    with pytest.raises(ComplianceError) as error:
        pipeline.deliver(home, MONTH, committee_to=["chair@example.org"], ig_to=[], smtp_conn_id=SMTP_CONN_ID)
    assert "not sent through SMTP connection 'compliance_test_smtp'" in str(error.value)
    assert "\n" not in str(error.value)
    assert not (home / "reports" / MONTH / "v1" / "delivery.json").exists()
