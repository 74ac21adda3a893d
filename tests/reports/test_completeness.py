"""Completeness before conclusions (docs/policy-packs.md, "Report sources"): a month is complete only
when every source the pack's report relies on delivered for every day it is expected to; a month
missing one is INCOMPLETE, naming the source and the days, and a month with nothing is NO DATA.
Neither certifies zero, and neither is sent to the committee."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance import pipeline
from report_reading import pdf_text

MONTH = "2018-09"
# Three days on which the database's audit log sent nothing.
SILENT_DAYS = ("2018-09-11", "2018-09-12", "2018-09-13")


def _local_day(event_ts: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(event_ts).astimezone(ZoneInfo("America/New_York")).date().isoformat()


@pytest.fixture(scope="module")
def months(tmp_path_factory) -> Path:
    """The generated September 2018, with the pars_db log's records of SILENT_DAYS left out."""
    from compliance.synth import generate

    root = tmp_path_factory.mktemp("completeness")
    landing, home = root / "landing", root / "home"
    generate(landing, MONTH, MONTH, 3)
    log = landing / "access_events" / f"access_events_{MONTH}.jsonl"
    kept = [line for line in log.read_text(encoding="utf-8").splitlines()
            if not (json.loads(line).get("source") == "pars_db"
                    and _local_day(json.loads(line)["event_ts"]) in SILENT_DAYS)]
    log.write_text("\n".join(kept) + "\n", encoding="utf-8")
    pipeline.ingest_landing(home, landing)
    return home


def test_a_month_missing_one_source_for_three_days_is_incomplete_and_says_what_is_missing(months, smtp_server):
    result = pipeline.run_month(months, MONTH)
    assert result["status"] == "INCOMPLETE" and result["incomplete"] and result["blocking_failures"] == 0
    assert result["missing_sources"] == [
        "pars_db: no records on 3 of 30 expected days (2018-09-11 to 2018-09-13)"]
    html = Path(result["reports"]["ig_html"]).read_text(encoding="utf-8")
    banner = html[html.index('class="banner incomplete"'):]
    banner = banner[:banner.index("</p>")]
    assert "INCOMPLETE: sources this report relies on are missing: pars_db (access_events, source pars_db)" in banner
    assert '<time datetime="2018-09-11">2018-09-11</time> to <time datetime="2018-09-13">2018-09-13</time>' in banner
    assert "certifies zero" not in html and "certifies zero" not in pdf_text(Path(result["reports"]["ig_pdf"]))
    committee = Path(result["reports"]["committee_html"]).read_text(encoding="utf-8")
    assert "INCOMPLETE: some of this month's records are missing" in committee
    spanish = Path(result["reports"]["committee_es_html"]).read_text(encoding="utf-8")
    assert "INCOMPLETO: faltan registros de este mes" in spanish
    outcome = pipeline.deliver(months, MONTH, committee_to=["chair@example.org"], ig_to=["ig@example.org"],
                               smtp_conn_id="compliance_test_smtp")
    assert outcome["committee"] == "withheld: the month is INCOMPLETE"
    assert smtp_server.recipients == [["ig@example.org"]]


def test_a_month_without_data_is_no_data_and_certifies_nothing(months, smtp_server):
    result = pipeline.run_month(months, "2017-01")
    assert result["status"] == "NO DATA" and result["incomplete"] and result["flags"] == 0
    # Every source is named, the detainers as a month with no delivery at all.
    assert "detainers: nothing delivered for 2017-01" in result["missing_sources"]
    assert "pars_app: no records on 31 of 31 expected days (2017-01-01 to 2017-01-31)" in result["missing_sources"]
    html = Path(result["reports"]["ig_html"]).read_text(encoding="utf-8")
    assert "NO DATA: the warehouse holds no record of January 2017" in html
    assert "All blocking data-quality checks passed" not in html
    for text in (html, pdf_text(Path(result["reports"]["ig_pdf"]))):
        assert "certifies zero" not in text
    committee = Path(result["reports"]["committee_html"]).read_text(encoding="utf-8")
    assert "NO DATA: no records of this month have reached" in committee
    spanish = Path(result["reports"]["committee_es_html"]).read_text(encoding="utf-8")
    assert "SIN DATOS: no ha llegado a la Oficina del Inspector General ningún registro" in spanish
    outcome = pipeline.deliver(months, "2017-01", committee_to=["chair@example.org"], ig_to=[],
                               smtp_conn_id="compliance_test_smtp")
    assert outcome["committee"] == "withheld: the month is NO DATA" and smtp_server.messages == []


def test_a_header_only_file_named_for_the_month_delivers_a_monthly_source(tiny_home):
    """A month with every daily source and a detainers file of no rows named for it is complete,
    and only then does it certify that no detainer was received."""
    from compliance import warehouse
    from report_helpers import insert_rows
    from support import delivered

    month = "2016-03"
    tables = delivered(month)
    detainers_file = tables.pop("batches")
    home = tiny_home(month=month, **tables)
    first = pipeline.build_reports(home, month)
    assert first.status == "INCOMPLETE" and first.missing_sources == ("detainers: nothing delivered for 2016-03",)
    assert "certifies zero" not in first.ig_html.read_text(encoding="utf-8")
    with warehouse.connect(home) as con:
        insert_rows(con, "batches", detainers_file)
    second = pipeline.build_reports(home, month)
    assert second.status == "complete" and second.missing_sources == ()
    assert "No detainer was received: the agency certifies zero." in second.ig_html.read_text(encoding="utf-8")
