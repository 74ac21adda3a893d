"""The log_gap rule (sql/rules/log_gap.sql), built on the coverage views of sql/views/50_coverage.sql."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from compliance import warehouse
from compliance.errors import ComplianceError
from compliance.policy.pack import PolicyPack, load_pack
from compliance.rules.catalog import load_rules
from compliance.rules.engine import run_rule
from compliance.rules.views import install_views
from compliance.sources.canonical import ingest_landing
from compliance.synth import generate

[LOG_GAP] = [rule for rule in load_rules() if rule.rule_id == "log_gap"]


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def with_log_gap(pack: PolicyPack, **settings) -> PolicyPack:
    thresholds = {**pack.data["thresholds"], "log_gap": settings}
    return PolicyPack(pack.path, {**pack.data, "thresholds": thresholds}, pack.sha256)


def gaps_flagged(con, pack: PolicyPack, month: str) -> set[tuple[str, str]]:
    install_views(con, pack)
    return {(row[1], row[5].astimezone(dt.timezone.utc).isoformat())
            for row in run_rule(con, LOG_GAP, month, pack.timezone)}


@pytest.mark.parametrize("seed", (1, 2, 3))
@pytest.mark.parametrize(("first", "last"), (("2016-02", "2016-02"), ("2018-08", "2018-09")))
def test_log_gap_flags_exactly_the_planted_gaps(seed, first, last, pack, tmp_path):
    generate(tmp_path, first, last, seed)
    labels = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    planted = {(lab["subject_id"], dt.datetime.fromisoformat(lab["window_start"]).astimezone(dt.timezone.utc).isoformat())
               for lab in labels if "log_gap" in lab["categories"]}
    assert planted
    con = warehouse.memory()
    ingest_landing(con, tmp_path)
    flagged = set()
    for month in sorted({lab["month"] for lab in labels}):
        flagged |= gaps_flagged(con, pack, month)
    assert flagged == planted
    con.close()


def events(con, rows: list[tuple]) -> None:
    con.executemany("INSERT INTO access_events (event_id, event_ts, account_id, source, session_id, sequence_no) "
                    "VALUES (?, ?, 'u1', ?, ?, ?)", rows)


def test_session_scoped_sequences_and_time_gaps(pack):
    con = warehouse.memory()
    events(con, [
        ("p1", "2020-05-11 10:00:00-04", "pg", "s1", 1), ("p2", "2020-05-11 10:01:00-04", "pg", "s2", 1),
        ("p3", "2020-05-11 10:02:00-04", "pg", "s1", 2), ("p4", "2020-05-11 10:03:00-04", "pg", "s2", 4),
        ("a1", "2020-05-11 10:00:00-04", "app", None, 7), ("a2", "2020-05-11 10:59:00-04", "app", None, 9),
    ])
    scoped = with_log_gap(pack, min_gap_minutes=30, gap_free_sequences={"pg": "session", "app": "source"})
    assert gaps_flagged(con, scoped, "2020-05") == {
        ("pg", "2020-05-11T14:01:00+00:00"),    # s2 skips 2 and 3
        ("app", "2020-05-11T14:00:00+00:00")}   # 8 missing, and 59 silent minutes: one flag
    [(summary, evidence)] = con.execute(
        "SELECT summary, evidence FROM (" + LOG_GAP.sql + ") WHERE subject_id = 'app'",
        {"month_start": dt.datetime(2020, 5, 1, 4, tzinfo=dt.timezone.utc),
         "month_end": dt.datetime(2020, 6, 1, 4, tzinfo=dt.timezone.utc)}).fetchall()
    assert summary == ("The app log has a gap after 2020-05-11 10:00:00 local: 1 record missing "
                       "(sequence_no 7 to 9) and no record for 59 minutes")
    evidence = json.loads(evidence)
    assert (evidence["kinds"], evidence["last_event_before"], evidence["first_event_after"]) == (
        ["sequence", "time"], "a1", "a2")
    # The same events with sequences promised by nobody: only silences count.
    assert gaps_flagged(con, with_log_gap(pack, min_gap_minutes=30), "2020-05") == {
        ("app", "2020-05-11T14:00:00+00:00")}
    con.close()


def test_gaps_are_found_wherever_they_fall_against_the_views_runs_and_stretches(pack):
    # The view groups sequence numbers in runs of 1024 and time in UTC stretches of
    # min_gap_minutes (here 00:00, 04:00, ... 16:00 UTC): steps across and inside both count.
    con = warehouse.memory()
    events(con, [
        ("a1", "2020-05-11 09:00:00+00", "app", None, 1022), ("a2", "2020-05-11 11:59:00+00", "app", None, 1023),
        ("a3", "2020-05-11 12:01:00+00", "app", None, 1024), ("a4", "2020-05-11 16:01:00+00", "app", None, 1025),
        ("a5", "2020-05-11 16:02:00+00", "app", None, 1032), ("a6", "2020-05-11 16:03:00+00", "app", None, 1033),
        ("a7", "2020-05-11 16:04:00+00", "app", None, 1034), ("a8", "2020-05-11 19:00:00+00", "app", None, 2050),
    ])
    install_views(con, with_log_gap(pack, min_gap_minutes=240, gap_free_sequences={"app": "source"}))
    assert con.execute("SELECT kind, event_before, event_after, missing_records FROM coverage_gaps "
                       "ORDER BY gap_start").fetchall() == [
        ("time", "a3", "a4", None),      # exactly 240 minutes, from one stretch into the next
        ("sequence", "a4", "a5", 6),     # 1026 to 1031, inside a run (1023 to 1024 crosses into it)
        ("sequence", "a7", "a8", 1015)]  # 1035 to 2049, from one run into the next
    con.close()


def test_a_pack_without_the_threshold_is_a_clear_error(pack):
    con = warehouse.memory()
    events(con, [("a1", "2020-05-11 10:00:00-04", "app", None, 1)])
    bare = PolicyPack(pack.path, {**pack.data, "thresholds": {}}, pack.sha256)
    with pytest.raises(ComplianceError, match="thresholds.log_gap.min_gap_minutes is missing"):
        gaps_flagged(con, bare, "2020-05")
    con.close()


def test_a_threshold_of_no_minutes_is_a_clear_error(pack):
    con = warehouse.memory()
    events(con, [("a1", "2020-05-11 10:00:00-04", "app", None, 1)])
    with pytest.raises(ComplianceError, match="min_gap_minutes must be a positive number of minutes"):
        gaps_flagged(con, with_log_gap(pack, min_gap_minutes=0), "2020-05")
    con.close()
