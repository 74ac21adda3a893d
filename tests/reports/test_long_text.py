"""A long flagged statement costs the reports no more than a short one: every value the body shows
is bounded (with a note saying how much more the exports keep), long words wrap instead of
widening the page, and the CSV and Parquet exports keep every character."""
from __future__ import annotations

import csv
import json

import duckdb

import look
from compliance import pipeline
from compliance.reports.render import SHOWN_CHARACTERS
from report_helpers import flag_row
from report_reading import pdf_text, read_html
from support import require_binary

MONTH = "2016-03"
# An ORM's IN list: no space, no break opportunity, as long as a page of a statement.
STATEMENT = "SELECT*FROM(persons)WHERE(person_id)IN(" + ",".join(str(1_000_000 + i) for i in range(4000)) + ")"
SUMMARY = "Account PPD-D01-0417 touched the audit trail: " + STATEMENT
NOTE = "more characters not shown here"


def _long_flag_home(tiny_home):
    return tiny_home(flags=[flag_row("f-long", MONTH, rule_id="audit_tamper", category="audit_tamper",
                                     summary=SUMMARY, evidence={
                                         "reason": "The SET involves pgaudit.log", "statement": STATEMENT,
                                         "source_lines": [{"file": "landing/pg.csv", "line": 7}]})])


def test_a_long_statement_is_shown_cut_with_a_note_and_exported_whole(tiny_home):
    assert len(STATEMENT) > 10 * SHOWN_CHARACTERS
    reports = pipeline.build_reports(_long_flag_home(tiny_home), MONTH)
    html = reports.ig_html.read_text(encoding="utf-8")
    assert STATEMENT not in html and STATEMENT[:SHOWN_CHARACTERS - 100] in html
    hidden = len(SUMMARY) - SHOWN_CHARACTERS
    assert f"… [{hidden:,} {NOTE}" in html
    # No text of the page (the style sheet aside) is much longer than what one value may show.
    texts = [text for text in read_html(reports.ig_html).text if not text.lstrip().startswith(":root")]
    assert max(map(len, texts)) < SHOWN_CHARACTERS + 400
    assert NOTE in " ".join(pdf_text(reports.files["ig_pdf"]).split())
    parquet = duckdb.connect().execute(
        "SELECT summary, evidence ->> 'statement' FROM read_parquet(?)",
        [str(reports.files["flags_parquet"])]).fetchall()
    assert parquet == [(SUMMARY, STATEMENT)]
    with open(reports.files["flags_csv"], encoding="utf-8", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["summary"] == SUMMARY and json.loads(row["evidence"])["statement"] == STATEMENT


def test_a_long_unbroken_statement_leaves_every_page_within_its_width(tiny_home, tmp_path):
    require_binary("chromium")
    require_binary("pdftoppm")
    reports = pipeline.build_reports(_long_flag_home(tiny_home), MONTH)
    for width in look.WIDTHS:
        layout = look.html_layout(reports.ig_html, width)
        assert (layout["scroll_width"], layout["wide"]) == (layout["width"], []), width
    pages = look.pdf_pages(reports.files["ig_pdf"], tmp_path)
    assert [problem for page in pages for problem in look.page_problems(page)] == []
