"""The IG report answers on its first page, as rendered: every detainer check that found something,
with the detainers it names and its denominator, then the access incidents that need attention
first; and its body shows evidence in plain words, without raw JSON or a server path."""
from __future__ import annotations

import io
import re
from zoneinfo import ZoneInfo

from compliance import warehouse
from compliance.reports.monthly import BRIEF_ACCESS_CHECKS, BRIEF_DETAINERS_NAMED
from report_reading import pdf_text

TZ = ZoneInfo("America/New_York")
SEVERITY = ("critical", "high", "medium", "low", "informational")
JSON_OBJECT = re.compile(r'[{\[]\s*"[a-z_]+"\s*:')


def first_page_text(path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return re.sub(r"\s+", " ", reader.pages[0].extract_text())


def expected_first_page(con, month: str) -> tuple[dict, list[tuple]]:
    """By other means than the report's: per detainer rule, its flagged detainers; and per access
    rule, ranked by severity and then its flags, the account or source it flagged most."""
    import yaml

    from compliance.config import RULES_DIR

    domains = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))["domain"] for p in RULES_DIR.glob("*.yml")}
    rows = con.execute("SELECT rule_id, severity, subject_type, subject_id, account_id FROM flags WHERE month = ?",
                       [month]).fetchall()
    detainers: dict[str, set] = {}
    access: dict[tuple, list] = {}
    for rule, severity, kind, subject, account in rows:
        if domains[rule] == "detainers":
            detainers.setdefault(rule, set()).add(subject)
        else:
            key = (rule, account if kind == "access_event" and account else subject)
            access.setdefault(key, [severity, 0])[1] += 1
    rules: dict[str, list] = {}
    for (rule, subject), (severity, count) in access.items():
        entry = rules.setdefault(rule, [SEVERITY.index(severity), 0, []])
        entry[1] += count
        entry[2].append((-count, subject))
    ranked = sorted(rules.items(), key=lambda item: (item[1][0], -item[1][1], item[0]))
    return detainers, [(rule, min(entry[2])[1]) for rule, entry in ranked]


def test_first_page_names_every_detainer_finding_and_the_top_access_incidents(generated):
    with warehouse.connect(generated.home, read_only=True) as con:
        detainers, access = expected_first_page(con, generated.month)
        [(in_month,)] = con.execute(
            "SELECT count(DISTINCT detainer_id) FROM detainers WHERE detainer_id IN ("
            "SELECT detainer_id FROM detainers WHERE (received_at >= ? AND received_at < ?) "
            "OR (action_at >= ? AND action_at < ?) OR (notice_sent_at >= ? AND notice_sent_at < ?) "
            "UNION SELECT subject_id FROM flags WHERE month = ? AND subject_type = 'detainer')",
            ["2018-09-01 04:00:00+00", "2018-10-01 04:00:00+00"] * 3 + [generated.month]).fetchall()
    assert detainers and access, "the generated month should have findings of both kinds"
    page = first_page_text(generated.reports.files["ig_pdf"])
    html = generated.reports.files["ig_html"].read_text(encoding="utf-8")
    brief = html[html.index('<section id="brief"'):html.index("</section>", html.index('<section id="brief"'))]
    for rule, subjects in detainers.items():
        denominator = f"{len(subjects)} of the {in_month:,} detainers"
        assert denominator in page, (rule, denominator)
        if len(subjects) > BRIEF_DETAINERS_NAMED:
            assert f"and {len(subjects) - BRIEF_DETAINERS_NAMED:,} more" in page, rule
            continue
        for detainer in subjects:
            assert detainer in page and detainer in brief, (rule, detainer)
    for rule, subject in access[:BRIEF_ACCESS_CHECKS]:
        assert subject in page and f"#rule-{rule}" in brief, (rule, subject)
    # Detainer findings come before database access.
    assert page.index("Detainers") < page.index("Database access")


def test_the_body_has_no_raw_json_and_no_server_path(generated):
    html = generated.reports.files["ig_html"].read_text(encoding="utf-8")
    pdf = pdf_text(generated.reports.files["ig_pdf"])
    flat_pdf = re.sub(r"\s+", "", pdf)
    roots = {str(generated.landing), str(generated.home), str(generated.landing.parent)}
    for text in (html, pdf):
        assert not JSON_OBJECT.search(text), JSON_OBJECT.search(text).group(0)
        assert not any(root in text for root in roots)
    assert not any(re.sub(r"\s+", "", root) in flat_pdf for root in roots)
    # Sources are named relative to the landing folder, with a line and the sha256's first characters.
    assert re.search(r"detainers/detainers_2018-09\.csv, line \d+ \(sha256 [0-9a-f]{12}\)", html)
    # A hold's charges are a table with readable citations.
    assert "Charges on the booking" in html and re.search(r"18 Pa\.C\.S\. § \d+(\([a-z0-9]+\))+", html)
