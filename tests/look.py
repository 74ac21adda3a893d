"""Looking at the reports as a reader would: the HTML in headless Chromium, the PDFs through
pdftoppm. Finds horizontal overflow, blank pages, content outside the page, missing charts and any
network fetch. A developer's tool, not part of the product: used by `make look` (screenshots to
inspect) and by tests/reports/test_look.py.

    python tests/look.py --out DIR [--reports VERSION_DIR]

Without --reports it builds a sample first: 13 generated months in DIR/home, reporting the last.
Needs Debian's `chromium` and `poppler-utils` (no browser download).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from compliance.errors import ComplianceError

WIDTHS = (1280, 800)
PDF_DPI = 40
MM = PDF_DPI / 25.4
INK = 200            # a grey level darker than this is ink
CHROMIUM_TIMEOUT = 120

# Runs in a copy of the page only (the reports themselves carry no script and forbid one).
PROBE = """<script>
(function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var root = document.documentElement, width = root.clientWidth, wide = [];
  var all = document.body.querySelectorAll('*');
  for (var i = 0; i < all.length && wide.length < 10; i++) {
    var e = all[i], r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !e.closest('.scroll')) {
      wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
    }
  }
  var charts = Array.prototype.map.call(document.querySelectorAll('figure.chart svg'), function (s) {
    var r = s.getBoundingClientRect();
    return {width: r.width, height: r.height, marks: s.querySelectorAll('path, rect, text').length};
  });
  var resources = performance.getEntriesByType('resource').map(function (e) { return e.name; });
  document.body.setAttribute('data-probe', JSON.stringify(
    {scroll_width: root.scrollWidth, width: width, wide: wide, charts: charts, resources: resources}));
})();
</script>"""
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise ComplianceError("Chromium is not installed (Debian package `chromium`)")
    return path


def _run_chromium(url: str, width: int, height: int, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="look-chromium-") as profile:
        proc = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "--virtual-time-budget=3000", *extra, url],
            capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT)
    if proc.returncode != 0:
        raise ComplianceError(f"chromium failed: {proc.stderr.strip().splitlines()[-1:]}", path=url)
    return proc


def html_layout(html: Path, width: int) -> dict:
    """Layout facts of `html` at a window `width` (CSS px): overflow, charts, fetched resources."""
    with tempfile.TemporaryDirectory(prefix="look-") as folder:
        probe = Path(folder) / html.name
        text = CSP.sub("", html.read_text(encoding="utf-8"), count=1)
        probe.write_text(text.replace("</body>", PROBE + "</body>", 1), encoding="utf-8")
        dom = _run_chromium(probe.as_uri(), width, 900, "--dump-dom").stdout
    match = re.search(r'<body[^>]*data-probe="([^"]*)"', dom)
    if match is None:
        raise ComplianceError("the layout probe did not run", path=str(html))
    from html import unescape

    return json.loads(unescape(match.group(1)))


def html_screenshot(html: Path, png: Path, width: int = WIDTHS[0], height: int = 2400) -> Path:
    _run_chromium(html.as_uri(), width, height, f"--screenshot={png}")
    return png


def pdf_pages(pdf: Path, out_dir: Path, dpi: int = PDF_DPI) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        raise ComplianceError("pdftoppm is not installed (Debian package `poppler-utils`)")
    prefix = out_dir / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True,
                   capture_output=True, timeout=300)
    return sorted(out_dir.glob(f"{pdf.stem}-*.png"))


def page_problems(png: Path, margins_mm=(16, 14, 18, 14)) -> list[str]:
    """A page whose content area has no ink is blank; ink in the left or right margin, beside the
    content, is content that ran off the page."""
    from PIL import Image

    image = Image.open(png).convert("L")
    width, height = image.size
    top, right, bottom, left = (round(m * MM) for m in margins_mm)
    ink = image.point(lambda v: 255 if v < INK else 0)
    problems = []
    if ink.crop((left, top, width - right, height - bottom)).getbbox() is None:
        problems.append(f"{png.name}: blank page")
    for name, box in (("right", (width - right + 2, top, width, height - bottom)),
                      ("left", (0, top, left - 2, height - bottom))):
        if ink.crop(box).getbbox() is not None:
            problems.append(f"{png.name}: content in the {name} margin (cut off or overflowing)")
    return problems


def look(version_dir: Path, out_dir: Path) -> dict:
    """Check every HTML and PDF of a report version; screenshots and page images go to `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    problems, facts = [], {}
    for html in sorted(version_dir.glob("*.html")):
        for width in WIDTHS:
            layout = html_layout(html, width)
            facts[f"{html.name}@{width}"] = layout
            if layout["scroll_width"] > layout["width"] + 1 or layout["wide"]:
                problems.append(f"{html.name} at {width}px: wider than the window ({layout['wide']})")
            if layout["resources"]:
                problems.append(f"{html.name}: fetched {layout['resources']}")
            for chart in layout["charts"]:
                if chart["width"] < 200 or chart["height"] < 80 or chart["marks"] < 20:
                    problems.append(f"{html.name} at {width}px: a chart is missing or empty ({chart})")
        html_screenshot(html, out_dir / f"{html.stem}.png")
    for pdf in sorted(version_dir.glob("*.pdf")):
        pages = pdf_pages(pdf, out_dir)
        facts[pdf.name] = {"pages": len(pages), "bytes": pdf.stat().st_size}
        for page in pages:
            problems += page_problems(page)
    return {"problems": problems, "facts": facts, "out": str(out_dir)}


def _sample(home: Path) -> Path:
    from compliance import pipeline
    from compliance.config import resolve_home
    from compliance.months import month_range
    from compliance.synth import generate

    months = month_range("2017-09", "2018-09")
    # Made by the home's own rule before the landing inside it: owner-only.
    landing = resolve_home(home) / "landing"
    if not landing.exists():
        generate(landing, months[0], months[-1], 7)
    pipeline.ingest_landing(home, landing)
    for month in months[:-1]:  # the trend needs their flags
        pipeline.evaluate(home, month)
    return Path(pipeline.run_month(home, months[-1])["report"]).parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/look.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for screenshots and page images")
    parser.add_argument("--reports", help="a report version folder (default: build a sample in OUT/home)")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    try:
        version_dir = Path(args.reports).resolve() if args.reports else _sample(out / "home")
        result = look(version_dir, out / "images")
    except ComplianceError as exc:
        print(f"look: error: {exc}", file=sys.stderr)
        return 2
    for name, fact in result["facts"].items():
        if "pages" in fact:
            print(f"{name}: {fact['pages']} pages, {fact['bytes']:,} bytes")
    print(f"images: {result['out']}")
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
