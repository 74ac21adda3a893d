"""The reports as a reader sees them: HTML in headless Chromium, PDFs through pdftoppm."""
from __future__ import annotations

import look
from support import require_binary

from compliance.reports.pdf import write_pdf


def test_generated_reports_look_right(generated, tmp_path):
    require_binary("chromium")
    require_binary("pdftoppm")
    result = look.look(generated.reports.directory, tmp_path / "images")
    assert result["problems"] == []
    ig = result["facts"][f"ig-report-{generated.month}.html@1280"]
    assert len(ig["charts"]) == 2 and all(c["marks"] > 20 for c in ig["charts"])
    assert result["facts"][f"ig-report-{generated.month}.pdf"]["pages"] >= 5
    assert (tmp_path / "images" / f"committee-summary-{generated.month}.png").stat().st_size > 10_000


def test_the_checks_see_overflow_blank_pages_and_missing_charts(tmp_path):
    require_binary("chromium")
    require_binary("pdftoppm")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "wide.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>w</title></head><body>'
        '<table><tr><td style="white-space: nowrap">' + "overflowing " * 400 + "</td></tr></table>"
        '<figure class="chart"><svg width="10" height="10"></svg></figure></body></html>', encoding="utf-8")
    write_pdf('<html lang="en"><head><title>b</title><style>@page { size: A4; margin: 16mm 14mm 18mm 14mm }'
              '</style></head><body><p>first</p><div style="break-after: page"></div>'
              '<div style="break-after: page"></div><p style="margin-right: -60mm; white-space: nowrap">'
              + "runs off the page " * 20 + "</p></body></html>", bad / "blank.pdf")
    problems = look.look(bad, tmp_path / "images")["problems"]
    assert any("wide.html at 1280px: wider than the window" in p for p in problems)
    assert any("a chart is missing or empty" in p for p in problems)
    assert any("blank page" in p for p in problems)
    assert any("right margin" in p for p in problems)
