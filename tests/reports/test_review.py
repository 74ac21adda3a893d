"""IG review of published flags (docs/review.md): decisions appended, never changed; a reopen
keeps every earlier reason; bad input writes nothing; decisions survive a re-run, and a flag whose
evidence changed goes back to the queue."""
from __future__ import annotations

import csv
import io
import sqlite3

import pytest
from report_helpers import flag_row, raw_store

from compliance import pipeline, warehouse
from compliance.errors import ComplianceError
from compliance.review.queue import LIST_COLUMNS, month_queue, record
from compliance.review.store import open_store, store_path

MONTH = "2016-03"


@pytest.fixture
def published(tiny_home, backend):
    """A home with one published version of MONTH holding flags f1, f2 and f3."""
    home = tiny_home(flags=[flag_row(f"f{i}", MONTH, subject_id=f"D{i}") for i in (1, 2, 3)])
    pipeline.build_reports(home, MONTH)
    return home


def test_decisions_are_appended_and_a_reopen_keeps_every_earlier_reason(published):
    with open_store(published) as store:
        record(store, published, ["f1"], disposition="confirmed", note="held without a conviction", reviewer="ana")
        record(store, published, ["f1"], disposition=None, note="a paper warrant was found", reviewer="ben")
        record(store, published, ["f1"], disposition="justified", note="warrant 16-0042, signed by a judge",
               reviewer="ben")
        history = store.history("f1")
    assert [(d.action, d.disposition, d.reviewer, d.note) for d in history] == [
        ("review", "confirmed", "ana", "held without a conviction"),
        ("reopen", None, "ben", "a paper warrant was found"),
        ("review", "justified", "ben", "warrant 16-0042, signed by a judge")]
    # Append-only whoever opens the store: the store itself refuses a change or a deletion.
    con, refusal = raw_store(published)
    for statement in ("UPDATE decisions SET note = 'x'", "DELETE FROM decisions"):
        with pytest.raises(refusal, match="append-only"):
            con.execute(statement)
    assert con.execute("SELECT count(*) FROM decisions").fetchone() == (3,)
    if isinstance(con, sqlite3.Connection):
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert oct(store_path(published).stat().st_mode & 0o777) == "0o600"
    else:
        with pytest.raises(refusal, match="append-only"):
            con.execute("TRUNCATE decisions")
        assert not store_path(published).exists()  # the DSN's store, not the embedded one
    con.close()


@pytest.mark.parametrize(("flags", "kwargs", "message"), [
    (["f1", "nope"], {"disposition": "confirmed"}, "unknown flag id 'nope'"),
    (["f1"], {"disposition": "wrong"}, "unknown disposition 'wrong'"),
    (["f1"], {"disposition": "justified", "note": ""}, "a justified disposition needs a note"),
    (["f1"], {"disposition": "duplicate"}, "names the flag it duplicates"),
    (["f1"], {"disposition": "duplicate", "duplicate_of": "f9"}, "unknown flag id 'f9'"),
    (["f1"], {"disposition": "duplicate", "duplicate_of": "f1"}, "a duplicate of itself"),
    (["f1"], {"disposition": "confirmed", "reviewer": " "}, "the reviewer's name"),
    (["f1"], {"disposition": None, "note": "why"}, "f1 is open: there is no decision to reopen"),
])
def test_a_bad_decision_is_refused_in_one_line_and_writes_nothing(published, flags, kwargs, message):
    arguments = {"note": "n", "reviewer": "ana", **kwargs}
    with open_store(published) as store:
        with pytest.raises(ComplianceError, match=message):
            record(store, published, flags, **arguments)
        assert store.latest(MONTH) == {}


def test_a_bulk_review_records_one_decision_per_flag(published):
    with open_store(published) as store:
        decisions = record(store, published, ["f1", "f2", "f3", "f2"], disposition="false_positive",
                           note="test detainers", reviewer="ana")
        latest = store.latest(MONTH)
    assert [d.flag_id for d in decisions] == ["f1", "f2", "f3"]
    assert {f: d.disposition for f, d in latest.items()} == dict.fromkeys(["f1", "f2", "f3"], "false_positive")
    assert len({d.recorded_at for d in decisions}) == 1


def test_reviews_survive_a_rerun_and_changed_evidence_sends_a_flag_back(published):
    with open_store(published) as store:
        record(store, published, ["f1", "f2", "f3"], disposition="confirmed", note="unlawful", reviewer="ana")
    # Late data: f1's evidence changes, f3 is no longer raised; the month is reported again.
    with warehouse.connect(published) as con:
        con.execute("""UPDATE flags SET evidence = '{"reason": "a second charge arrived"}' WHERE flag_id = 'f1'""")
        con.execute("DELETE FROM flags WHERE flag_id = 'f3'")
    second = pipeline.build_reports(published, MONTH)
    assert second.version == "v2"
    with open_store(published) as store:
        queue = {row["flag_id"]: row for row in month_queue(store, published, MONTH)}
    assert (queue["f1"]["disposition"], queue["f1"]["changed_since_review"], queue["f1"]["still_raised"]) == \
        ("", True, True)
    assert (queue["f2"]["disposition"], queue["f2"]["changed_since_review"]) == ("confirmed", False)
    assert (queue["f3"]["disposition"], queue["f3"]["still_raised"]) == ("confirmed", False)
    assert queue["f3"]["no_longer_raised_since"] == "v2" and queue["f2"]["no_longer_raised_since"] == ""


def test_the_cli_lists_the_queue_in_the_contracted_columns(published, compliance_cli):
    done = compliance_cli(published, "review", "set", "f1", "f2", "--disposition", "confirmed",
                          "--note", "held <b>unlawfully</b>", "--by", "ana")
    assert done.returncode == 0 and done.stdout.strip() == "2 flags: confirmed, by ana"
    refused = compliance_cli(published, "review", "set", "f3", "--disposition", "justified", "--by", "ana")
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("compliance: error: field note: a justified disposition needs a note "
                                      "giving the reason")
    listed = compliance_cli(published, "review", "list", "--month", MONTH)
    rows = list(csv.reader(io.StringIO(listed.stdout)))
    assert tuple(rows[0]) == LIST_COLUMNS
    by_flag = {row[0]: dict(zip(LIST_COLUMNS, row)) for row in rows[1:]}
    assert sorted(by_flag) == ["f1", "f2", "f3"]
    assert by_flag["f1"]["disposition"] == "confirmed" and by_flag["f1"]["reviewer"] == "ana"
    assert by_flag["f3"]["disposition"] == "" and by_flag["f3"]["still_raised"] == "True"
    reopened = compliance_cli(published, "review", "reopen", "f1", "--note", "check again", "--by", "ben")
    assert reopened.returncode == 0
    listed = compliance_cli(published, "review", "list", "--month", MONTH, "--format", "json")
    assert '"flag_id": "f1"' in listed.stdout and '"disposition": ""' in listed.stdout


def test_compliance_flags_shows_each_flags_standing_disposition(published, compliance_cli):
    for path in published.glob(store_path(published).name + "*"):  # the build's store, and its WAL
        path.unlink()
    before = compliance_cli(published, "flags", "--month", MONTH)
    assert before.returncode == 0 and not store_path(published).exists()  # a reader creates no store
    assert compliance_cli(published, "review", "set", "f1", "--disposition", "data_error", "--note",
                          "wrong booking", "--by", "ana").returncode == 0
    out = compliance_cli(published, "flags", "--month", MONTH)
    rows = {row["flag_id"]: row for row in csv.DictReader(io.StringIO(out.stdout))}
    assert rows["f1"]["disposition"] == "data_error" and rows["f1"]["reviewed_at"].endswith("Z")
    assert (rows["f2"]["disposition"], rows["f2"]["reviewed_at"]) == ("", "")
