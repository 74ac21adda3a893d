"""Late files (accepted, listed, month marked for re-run) and freshness windows from the pack."""
from __future__ import annotations

import datetime as dt

import pytest

from compliance import cli, pipeline, warehouse
from compliance.errors import ComplianceError
from compliance.policy.pack import PolicyPack, load_pack
from compliance.quality import late
from compliance.quality.freshness import freshness_windows, stale_tables
from support import DETAINER_HEADER, write

CUSTODY = "event_id,person_id,booking_id,event_type,event_ts\n"
CHARGES = "charge_id,person_id,booking_id,statute,grade,description,disposition,disposition_date\n"


def test_a_file_for_a_reported_month_is_loaded_listed_and_marks_the_month(home, tmp_path, capsys):
    landing = tmp_path / "landing"
    march = write(landing / "custody_events" / "march.csv", CUSTODY + "E1,P1,B1,booked,2026-03-02T10:00:00-05:00\n")
    detainers = write(landing / "detainers" / "march.csv",
                      DETAINER_HEADER + "\nD1,P1,B1,2026-03-03T10:00:00-05:00,I-247D,,held,,,\n")
    pipeline.ingest_files(home, [march, detainers])
    with warehouse.connect(home) as con:
        late.record_report(con, "2026-03")

    # A custody file with one row in the reported March and one in April; a charges file on B1.
    custody = write(landing / "custody_events" / "resent.csv", CUSTODY +
                    "E2,P1,B1,released,2026-03-31T23:00:00-04:00\nE3,P1,B1,released,2026-04-01T00:00:00-04:00\n")
    charges = write(landing / "charges" / "c.csv", CHARGES + "C1,P1,B1,18 2702 A1,F1,Assault,convicted,2026-04-02\n")
    results = pipeline.ingest_files(home, [custody, charges])
    assert [r["late_months"] for r in results] == [["2026-03"], ["2026-03"]]
    assert pipeline.months_to_rerun(home) == ["2026-03"]
    with warehouse.connect(home, read_only=True) as con:
        assert con.execute("SELECT month, table_name, path, rows_bearing FROM late_batches ORDER BY table_name"
                           ).fetchall() == [("2026-03", "charges", str(charges), 1),
                                            ("2026-03", "custody_events", str(custody), 1)]

    capsys.readouterr()
    assert cli.main(["--home", str(home), "status"]) == 0
    [march_line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  2026-03")]
    assert march_line.endswith("RE-RUN NEEDED (late files)")

    # An unchanged file is no news; reporting the month again clears the mark, the list stays.
    assert pipeline.ingest_files(home, [custody])[0]["late_months"] == []
    with warehouse.connect(home) as con:
        late.record_report(con, "2026-03")
        assert late.months_to_rerun(con) == []
        assert con.execute("SELECT count(*) FROM late_batches").fetchall() == [(2,)]


def test_the_cli_says_which_months_to_rerun(home, tmp_path, capsys):
    first = write(tmp_path / "landing" / "custody_events" / "a.csv", CUSTODY + "E1,P1,B1,booked,2026-03-02T10:00:00-05:00\n")
    pipeline.ingest_files(home, [first])
    with warehouse.connect(home) as con:
        late.record_report(con, "2026-03")
    second = write(tmp_path / "landing" / "custody_events" / "b.csv", CUSTODY + "E2,P1,B1,released,2026-03-05T10:00:00-05:00\n")
    assert cli.main(["--home", str(home), "ingest", str(second)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        "late files: rows for months already reported (2026-03); re-run them with `compliance run --month YYYY-MM`")


def test_replacing_a_late_batch_replaces_its_late_record(home, tmp_path):
    path = write(tmp_path / "landing" / "custody_events" / "a.csv", CUSTODY + "E1,P1,B1,booked,2026-03-02T10:00:00-05:00\n")
    with warehouse.connect(home) as con:
        late.record_report(con, "2026-03")
    pipeline.ingest_files(home, [path])
    write(path, CUSTODY + "E1,P1,B1,booked,2026-03-02T11:00:00-05:00\n")
    [result] = pipeline.ingest_files(home, [path])
    with warehouse.connect(home, read_only=True) as con:
        assert con.execute("SELECT batch_id FROM late_batches").fetchall() == [(result["batch_id"],)]


def with_windows(windows) -> PolicyPack:
    pack = load_pack()
    return PolicyPack(pack.path, {**pack.data, "freshness_hours": windows}, pack.sha256)


def test_freshness_windows_come_from_the_pack():
    assert freshness_windows(load_pack()) == {"access_events": 36.0, "custody_events": 36.0, "arrests": 36.0,
                                              "charges": 72.0, "detainers": 72.0}
    path = load_pack().path
    for windows, message in (({"access_event": 36}, "field freshness_hours.access_event: 'access_event' is not a landing table"),
                             ({"arrests": 0}, "field freshness_hours.arrests: a window is a positive number of hours"),
                             ({}, "field freshness_hours: freshness_hours is missing")):
        with pytest.raises(ComplianceError) as error:
            freshness_windows(with_windows(windows))
        assert str(error.value).startswith(f"{path}, {message}")


def test_a_table_is_stale_after_its_window(con):
    con.execute("INSERT INTO batches (batch_id, table_name, ingested_at) VALUES "
                "('a', 'arrests', '2026-03-01 00:00:00+00'), ('b', 'detainers', '2026-03-01 00:00:00+00')")
    now = dt.datetime(2026, 3, 2, 12, 0, 1, tzinfo=dt.timezone.utc)
    assert stale_tables(con, {"arrests": 36, "detainers": 72, "custody_events": 1.5}, now) == [
        "arrests: last file 2026-03-01 00:00 UTC, over the 36 h window",
        "custody_events: no file received yet (window 1.5 h)"]
    assert stale_tables(con, {"arrests": 36}, now - dt.timedelta(seconds=2)) == []
