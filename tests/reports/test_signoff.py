"""Exceptions, sign-off, rule precision and what the reports show of the review (docs/review.md):
an excepted flag is still raised and stands justified with the exception's id; an expired one
stops applying; a sign-off renders a signed edition and holds the committee e-mail until it exists;
a re-run after a sign-off is a new version that needs its own."""
from __future__ import annotations

import csv
import io
import json

import pytest
from report_helpers import flag_row, raw_store

from compliance import pipeline
from compliance.errors import ComplianceError
from compliance.reports import signing
from compliance.review.exceptions import add_exception, expire_exception, list_exceptions
from compliance.review.queue import month_queue, record
from compliance.review.store import open_store

MONTH = "2016-03"


def access_flag(flag_id: str, day: int, account: str = "svc_etl", statement: str = "SELECT * FROM people") -> dict:
    return flag_row(flag_id, MONTH, rule_id="service_account_misuse", category="service_account_misuse",
                    severity="medium", subject_id=account, person_id=None, account_id=account,
                    event_ts=f"2016-03-{day:02d}T12:00:00-05:00", summary="service account used by hand",
                    evidence={"account": account, "statement": statement})


@pytest.fixture
def home(tiny_home, backend):
    """MONTH published with two detainer flags (d1, d2) and four flags of one service account,
    on 2016-03-05, -10, -20 and -25 (a3 on another statement); each test on the SQLite store and on
    PostgreSQL (`backend`, conftest.py)."""
    home = tiny_home(flags=[flag_row("d1", MONTH, subject_id="D1"), flag_row("d2", MONTH, subject_id="D2"),
                            access_flag("a1", 5), access_flag("a2", 10), access_flag("a3", 20, statement="DELETE FROM people"),
                            access_flag("a4", 25)])
    pipeline.build_reports(home, MONTH)
    return home


def queue(home) -> dict[str, dict]:
    with open_store(home) as store:
        return {row["flag_id"]: row for row in month_queue(store, home, MONTH)}


def test_an_excepted_flag_is_raised_and_stands_justified_until_its_expiry(home):
    with open_store(home) as store:
        exception = add_exception(store, rule_id="service_account_misuse", account_id="svc_etl", owner="OIT",
                                  reason="nightly ETL by design", expires="2016-03-21", by="ana",
                                  statement_pattern="SELECT%")
    rows = queue(home)
    assert set(rows) == {"d1", "d2", "a1", "a2", "a3", "a4"}  # nothing is hidden
    excepted = {f for f, row in rows.items() if row["exception_id"]}
    # a3 is another statement; a4 is after the expiry.
    assert excepted == {"a1", "a2"}
    assert (rows["a1"]["disposition"], rows["a1"]["reviewer"], rows["a1"]["note"]) == (
        "justified", f"exception {exception.exception_id}", "nightly ETL by design")
    assert rows["a3"]["disposition"] == rows["a4"]["disposition"] == ""
    # A person's decision wins over the exception.
    with open_store(home) as store:
        record(store, home, ["a1"], disposition="confirmed", note="run by hand at noon", reviewer="ben")
    assert (queue(home)["a1"]["disposition"], queue(home)["a1"]["exception_id"]) == ("confirmed", "")


def test_an_exception_expired_early_stops_applying_from_that_day(home):
    with open_store(home) as store:
        add_exception(store, rule_id="service_account_misuse", account_id="svc_etl", owner="OIT", reason="r",
                      expires="2099-01-01", by="ana")
        assert {f for f, row in queue(home).items() if row["exception_id"]} == {"a1", "a2", "a3", "a4"}
        ended = expire_exception(store, "x1", by="ana", note="the ETL moved to its own account")
        [listed] = list_exceptions(store)
        assert listed.expired_by == "ana" and listed.ends_on == ended.ends_on < "2099-01-01"
        with pytest.raises(ComplianceError, match="already stopped applying"):
            expire_exception(store, "X1", by="ana", note="again")
        with pytest.raises(ComplianceError, match="unknown exception"):
            expire_exception(store, "X9", by="ana", note="n")


@pytest.mark.parametrize("change, message", [
    ({"account_id": " "}, "needs --account"),
    ({"reason": ""}, "needs --reason"),
    ({"expires": "next june"}, "must be a date"),
    ({"rule_id": "no_such_rule"}, "unknown rule"),
])
def test_a_bad_exception_is_one_line_and_writes_nothing(home, change, message):
    arguments = {"rule_id": "service_account_misuse", "account_id": "svc_etl", "owner": "OIT", "reason": "r",
                 "expires": "2099-01-01", "by": "ana", **change}
    with open_store(home) as store:
        with pytest.raises(ComplianceError, match=message):
            add_exception(store, **arguments, known_rules={"service_account_misuse", "ineligible_hold"})
        assert list_exceptions(store) == []


def test_signoff_renders_a_signed_edition_with_the_review_and_is_recorded_once(home):
    with open_store(home) as store:
        record(store, home, ["d1"], disposition="confirmed", note="no conviction <b>on file</b>", reviewer="ana")
        record(store, home, ["d2"], disposition="justified", note="paper warrant found", reviewer="ana")
    assert pipeline.signed_off(home, MONTH, "v1") is None
    signed = pipeline.sign_off(home, MONTH, by="director", note="March done")
    assert pipeline.signed_off(home, MONTH, "v1") == signed
    edition = home / "reports" / MONTH / "v1" / "signed-off"
    manifest = json.loads((edition / "manifest.json").read_text())
    assert manifest["signoff"]["signed_by"] == "director" and manifest["review"]["reviewed"] == 2
    public = signing.read_public(edition / signing.PUBLIC_KEY)
    assert signing.signed_by(public, (edition / signing.SIGNATURE).read_bytes(), (edition / "manifest.json").read_bytes())
    import hashlib

    for output in manifest["outputs"].values():
        assert hashlib.sha256((edition / output["file"]).read_bytes()).hexdigest() == output["sha256"]
    ig = (edition / f"ig-report-{MONTH}.html").read_text()
    assert "2 of 6 flags reviewed (1 confirmed, 1 justified); 4 open." in ig
    assert "v1 signed off by director at" in ig
    assert "no conviction &lt;b&gt;on file&lt;/b&gt;" in ig and "<b>on file" not in ig  # escaped
    committee = (edition / f"committee-summary-{MONTH}.html").read_text()
    assert "signed this summary off on" in committee
    # The version's own report, built before any review, shows every flag open and no sign-off.
    own = (home / "reports" / MONTH / "v1" / f"ig-report-{MONTH}.html").read_text()
    assert "0 of 6 flags reviewed" in own and "v1 is not signed off" in own
    with pytest.raises(ComplianceError, match="already signed off by director"):
        pipeline.sign_off(home, MONTH, by="director")


def test_only_an_approver_signs_off_once_there_are_accounts(home):
    from compliance.review.users import add_user

    with open_store(home) as store:
        add_user(store, "ana", "reviewer", "correct horse battery")
        add_user(store, "dee", "approver", "staple of the month")
    with pytest.raises(ComplianceError, match="'ana' is not an approver"):
        pipeline.sign_off(home, MONTH, by="ana")
    with pytest.raises(ComplianceError, match="is not an approver"):
        pipeline.sign_off(home, MONTH, by="nobody")
    assert not (home / "reports" / MONTH / "v1" / "signed-off").exists()
    assert pipeline.sign_off(home, MONTH, by="dee")["signed_by"] == "dee"


def test_a_rerun_after_signoff_is_a_new_version_that_needs_its_own(home):
    pipeline.sign_off(home, MONTH, by="director")
    again = pipeline.build_reports(home, MONTH)  # the same figures
    assert (again.version, again.created) == ("v2", True)
    assert pipeline.signed_off(home, MONTH, "v2") is None
    ig = again.ig_html.read_text()
    assert "v2 is not signed off" in ig and "v1 was signed off by director" in ig
    # Unchanged and not signed off: kept.
    assert pipeline.build_reports(home, MONTH).version == "v2"


def test_committee_split_and_rule_precision(home, compliance_cli):
    with open_store(home) as store:
        record(store, home, ["d1"], disposition="confirmed", note="", reviewer="ana")
        record(store, home, ["d2"], disposition="false_positive", note="", reviewer="ana")
        record(store, home, ["a1", "a2"], disposition="false_positive", note="", reviewer="ana")
    out = compliance_cli(home, "rules")
    assert out.returncode == 0, out.stderr
    rules = {row["rule_id"]: row for row in csv.DictReader(io.StringIO(out.stdout))}
    assert [rules["ineligible_hold"][k] for k in ("reviewed", "confirmed", "false_positive", "false_positive_share")] == [
        "2", "1", "1", "0.500"]
    assert [rules["service_account_misuse"][k] for k in ("reviewed", "confirmed", "false_positive")] == ["2", "0", "2"]
    assert rules["audit_tamper"]["reviewed"] == "0" and rules["audit_tamper"]["false_positive_share"] == ""
    pipeline.sign_off(home, MONTH, by="director")
    edition = home / "reports" / MONTH / "v1" / "signed-off"
    committee = " ".join((edition / f"committee-summary-{MONTH}.html").read_text().split())
    # ineligible_hold is stable: 1 confirmed, 1 set aside, 0 under review among the committee's findings.
    assert 'data-metric="committee.review.cat.ineligible_hold.confirmed">1<' in committee
    assert 'data-metric="committee.review.cat.ineligible_hold.set_aside">1<' in committee
    assert 'data-metric="committee.review.cat.ineligible_hold.under_review">0<' in committee
    ig = (edition / f"ig-report-{MONTH}.html").read_text()
    assert "Rule precision from reviews" in ig and "50%" in ig


def test_verify_checks_the_signed_off_edition(home):
    from compliance.reports.verify import verify_version

    def edition_findings() -> list[str]:
        # This home's flags were written by SQL, not by an evaluation: verify says so; not our point.
        return [f.split(" (")[0] for f in verify_version(home, version).findings if f.startswith("signed-off")]

    pipeline.sign_off(home, MONTH, by="director")
    version = home / "reports" / MONTH / "v1"
    assert edition_findings() == []
    edition = version / "signed-off" / f"committee-summary-{MONTH}.html"
    edition.write_text(edition.read_text().replace("signed this summary off", "approved this summary"))
    (version / "signed-off" / "extra.pdf").write_bytes(b"%PDF")
    assert edition_findings() == [f"signed-off/committee-summary-{MONTH}.html: altered",
                                                    "signed-off/extra.pdf: added"]


def test_signoffs_and_exceptions_are_append_only_whoever_opens_the_store(home):
    with open_store(home) as store:
        add_exception(store, rule_id="service_account_misuse", account_id="svc_etl", owner="OIT", reason="r",
                      expires="2099-01-01", by="ana")
    pipeline.sign_off(home, MONTH, by="director")
    con, refusal = raw_store(home)
    for table in ("signoffs", "exceptions"):
        for statement in (f"UPDATE {table} SET recorded_by = 'x'" if table == "exceptions"
                          else f"UPDATE {table} SET signed_by = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(refusal, match="append-only"):
                con.execute(statement)
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
    con.close()
