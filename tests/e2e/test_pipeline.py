"""The pipeline as a user runs it: CLI commands, re-runs, bad input."""
import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance import pipeline, warehouse
from compliance.synth import generate

MONTH = "2016-02"



@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    generate(folder, MONTH, MONTH, 5)
    return folder


def test_run_twice_leaves_every_table_identical(landing, tmp_path):
    home = tmp_path / "home"
    pipeline.ingest_landing(home, landing)
    first = pipeline.run_month(home, MONTH)
    with warehouse.connect(home, read_only=True) as con:
        before = warehouse.table_checksums(con)
    assert first["flags"] > 0 and before["flags"][0] == first["flags"]
    assert before["validation_runs"][0] > 0
    pipeline.ingest_landing(home, landing)  # identical files: nothing changes
    second = pipeline.run_month(home, MONTH)
    with warehouse.connect(home, read_only=True) as con:
        after = warehouse.table_checksums(con)
        steps = con.execute("SELECT count(*) FROM run_log").fetchall()[0][0]
    assert after == before
    assert second["flags"] == first["flags"]
    # The journal is the only thing that grows: 2 ingests, and 2 runs of validate, evaluate, report.
    assert steps == 8
    assert "run_log" not in after


def test_every_batch_reconciles(landing, tmp_path):
    home = tmp_path / "home"
    batches = pipeline.ingest_landing(home, landing)
    assert batches
    for batch in batches:
        assert batch["rows_read"] == batch["rows_loaded"] + batch["rows_quarantined"] + batch["rows_ignored"]
    with warehouse.connect(home, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM batches WHERE rows_read <> rows_loaded + "
                           "rows_quarantined + rows_ignored").fetchall() == [(0,)]


def test_cli_flags_output_matches_contract(landing, tmp_path, compliance_cli):
    home = tmp_path / "home"
    assert compliance_cli(home, "ingest", str(landing)).returncode == 0
    assert compliance_cli(home, "evaluate", "--month", MONTH).returncode == 0
    out = compliance_cli(home, "flags", "--month", MONTH, "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and list(rows[0]) == ["flag_id", "rule_id", "rule_version", "category", "severity", "month",
                                      "subject_type", "subject_id", "account_id", "person_id", "event_ts",
                                      "summary", "evidence", "disposition", "reviewed_at"]
    assert {r["month"] for r in rows} == {MONTH}
    jsonl = compliance_cli(home, "flags", "--month", MONTH, "--format", "json")
    assert len(jsonl.stdout.splitlines()) == len(rows)


def _refused(proc: subprocess.CompletedProcess) -> list[str]:
    """The reasons `compliance ingest` printed for the files it refused (exit status 1)."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return [line.removeprefix("compliance: refused: ") for line in proc.stderr.splitlines()
            if line.startswith("compliance: refused: ")]


def test_missing_required_column_refuses_the_file_in_one_line(tmp_path, compliance_cli):
    path = tmp_path / "landing" / "detainers" / "d.csv"
    path.parent.mkdir(parents=True)
    path.write_text("detainer_id,person_id,booking_id,received_at,form_type,attachments,action\n"
                    "D1,P1,B1,2016-02-03T10:00:00-05:00,I-247D,,declined\n")
    done = compliance_cli(tmp_path / "home", "ingest", str(tmp_path / "landing"))
    assert _refused(done) == [f"{path}, line 1, field action_at: required column missing"]
    assert done.stdout == "1 files: 0 rows read, 0 loaded, 0 quarantined, 0 ignored; 1 refused\n"


def test_empty_file_is_refused_in_one_line(tmp_path, compliance_cli):
    path = tmp_path / "landing" / "access_events" / "a.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("")
    assert _refused(compliance_cli(tmp_path / "home", "ingest", str(path))) == [
        f"{path}, line 1: empty file (0 bytes; still being transferred?): nothing was loaded, ingest it "
        "again once it is complete"]


def test_refused_files_leave_the_rest_of_the_landing_loaded(landing, tmp_path, compliance_cli):
    """A refused file is named, journalled and counted in the exit status; every other file loads."""
    mixed = tmp_path / "landing"
    shutil.copytree(landing, mixed)
    first = mixed / "accounts" / "0-partial.csv"  # sorts first: everything after it must still load
    first.write_bytes(b"")
    binary = mixed / "detainers" / "zz.csv"
    binary.write_bytes(bytes(range(256)) * 16)
    home = tmp_path / "home"
    done = compliance_cli(home, "ingest", str(mixed))
    assert [reason.split(":")[0].split(",")[0] for reason in _refused(done)] == [str(first), str(binary)]
    assert done.stdout.rstrip().endswith("; 2 refused")
    clean = tmp_path / "clean-home"
    assert compliance_cli(clean, "ingest", str(landing)).returncode == 0
    # Every table as a clean landing leaves it; the batches differ only in their paths and times,
    # and the evidence chain's hashes cover those times: it records the same batches.
    batch_counts = ("SELECT table_name, sha256, rows_read, rows_loaded, rows_quarantined, rows_ignored "
                    "FROM batches ORDER BY ALL")
    chained = "SELECT kind, record_key FROM evidence_chain ORDER BY ALL"
    differing = ("run_log", "batches", "evidence_chain")
    with warehouse.connect(home, read_only=True) as con, warehouse.connect(clean, read_only=True) as reference:
        assert warehouse.table_checksums(con, exclude=differing) == warehouse.table_checksums(
            reference, exclude=differing)
        assert con.execute(batch_counts).fetchall() == reference.execute(batch_counts).fetchall()
        assert con.execute(chained).fetchall() == reference.execute(chained).fetchall()
        [(status, detail)] = con.execute("SELECT status, detail FROM run_log WHERE step = 'ingest'").fetchall()
    assert status == "refused"
    assert [r["path"] for r in json.loads(detail)["refused"]] == [str(first), str(binary)]


def test_unparseable_timestamp_is_quarantined_with_line_and_field(tmp_path, compliance_cli):
    path = tmp_path / "landing" / "custody_events" / "c.csv"
    path.parent.mkdir(parents=True)
    path.write_text("event_id,person_id,booking_id,event_type,event_ts\n"
                    "E1,P1,B1,booked,2016-02-03T10:00:00-05:00\n"
                    "E2,P1,B1,released,2016-02-30T10:00:00-05:00\n")
    home = tmp_path / "home"
    assert compliance_cli(home, "ingest", str(tmp_path / "landing")).returncode == 0
    out = compliance_cli(home, "quarantine")
    assert out.stdout.strip() == (f"{path}: line 3, field event_ts: cannot read as timestamp with time zone: "
                                  "2016-02-30T10:00:00-05:00")


def test_query_is_read_only_and_has_no_file_access(landing, tmp_path, compliance_cli):
    home = tmp_path / "home"
    assert compliance_cli(home, "ingest", str(landing)).returncode == 0
    assert compliance_cli(home, "query", "SELECT count(*) AS n FROM detainers").stdout.startswith("n\n")
    denied = compliance_cli(home, "query", "SELECT * FROM read_csv('/etc/hostname')")
    assert denied.returncode == 2 and "file system operations are disabled" in denied.stderr
    write = compliance_cli(home, "query", "DELETE FROM flags")
    assert write.returncode == 2 and "read-only" in write.stderr.lower()


def test_warehouse_and_reports_are_owner_only(landing, tmp_path):
    home = tmp_path / "home"
    pipeline.ingest_landing(home, landing)
    report = pipeline.report(home, MONTH)
    for path in (home, home / "warehouse.duckdb", report, report.parent):
        assert path.stat().st_mode & 0o077 == 0, path


def test_status_shows_months_days_with_data_and_last_runs(landing, tmp_path, compliance_cli):
    home = tmp_path / "home"
    assert compliance_cli(home, "ingest", str(landing)).returncode == 0
    assert compliance_cli(home, "run", "--month", MONTH).returncode == 0
    out = compliance_cli(home, "status")
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.strip().startswith(MONTH))
    assert "29/29 days" in line and line.rstrip().endswith("valid")
    assert " evaluate  2016-02  success" in out.stdout
