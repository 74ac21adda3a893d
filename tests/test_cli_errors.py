"""What an operator gets wrong, and what the system must then say: one line naming the cause, a
non-zero exit status, nothing touched that the mistake would spoil, never "internal error"
(docs/operations.md, "Operator errors")."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compliance import pipeline, warehouse
from compliance.errors import ComplianceError
from support import DETAINER_HEADER, write

FULL_WIDTH_MONTH = "\uff12\uff10\uff11\uff18-08"


def assert_one_line_error(proc: subprocess.CompletedProcess, *expected: str) -> str:
    """The command failed with exit status 2 and one `compliance: error:` line containing `expected`."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1, (proc.returncode, proc.stderr)
    assert lines[0].startswith("compliance: error: ") and "internal error" not in lines[0], lines[0]
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


# --- months: one parser for the CLI, the DAG's Param (tests/test_months.py) and the pipeline -----

@pytest.mark.parametrize("month", ["2018-08\n", FULL_WIDTH_MONTH, " 2018-08"], ids=["newline", "full-width", "space"])
@pytest.mark.parametrize("command", [["run", "--month"], ["report", "--month"], ["flags", "--month"],
                                     ["deliver", "--month"], ["run", "--to", "2018-09", "--from"]],
                         ids=lambda command: command[0] + command[-1])
def test_the_cli_refuses_what_is_not_a_month(tmp_path, compliance_cli, command, month):
    home = tmp_path / "home"
    with warehouse.connect(home):
        pass
    proc = compliance_cli(home, *command, month)
    assert_one_line_error(proc, f"month {month!r} is not YYYY-MM")
    assert proc.stdout == ""
    assert not (home / "reports").exists()


@pytest.mark.parametrize("stage", ["validate", "evaluate", "build_reports", "run_month", "report"])
def test_the_pipeline_refuses_what_is_not_a_month_before_touching_the_home(tmp_path, stage):
    home = tmp_path / "home"
    for month in ("2018-08\n", FULL_WIDTH_MONTH):
        with pytest.raises(ComplianceError, match="is not YYYY-MM"):
            getattr(pipeline, stage)(home, month)
    assert not home.exists()


def test_delivery_refuses_what_is_not_a_month(tmp_path):
    with pytest.raises(ComplianceError, match="is not YYYY-MM"):
        pipeline.deliver(tmp_path / "home", "2018-08\n", committee_to=["a@example.org"], ig_to=[],
                         smtp_conn_id="smtp_default")


# --- the landing folder ---------------------------------------------------------------------------

def detainers_file(folder: Path) -> Path:
    return write(folder / "d.csv", f"{DETAINER_HEADER}\nD1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,,declined,,,\n")


@pytest.mark.parametrize("layout", ["table_folder", "files_without_table_folder"])
def test_a_folder_whose_files_would_never_load_is_refused(tmp_path, compliance_cli, layout):
    landing = tmp_path / "landing"
    given = landing / "detainers" if layout == "table_folder" else tmp_path / "drop"
    detainers_file(given)
    proc = compliance_cli(tmp_path / "home", "ingest", str(given))
    what = "is the detainers table's folder" if layout == "table_folder" else "holds landing files but no table folder"
    assert_one_line_error(proc, f"{given}: {what}, not a landing folder (PATH/<table>/*.csv|*.jsonl): "
                                "give the folder above it, or the files themselves")
    if layout == "table_folder":  # the folder above it is the landing
        assert compliance_cli(tmp_path / "home", "ingest", str(landing)).stdout.startswith("1 files: 1 rows read")


def test_an_empty_landing_is_a_quiet_day(tmp_path, compliance_cli):
    (tmp_path / "landing").mkdir()
    proc = compliance_cli(tmp_path / "home", "ingest", str(tmp_path / "landing"))
    assert proc.returncode == 0 and proc.stdout.startswith("0 files")


def test_a_landing_named_relative_to_the_parent_folder_loads(tmp_path):
    landing = tmp_path / "landing"
    detainers_file(landing / "detainers")
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-m", "compliance.cli", "--home", str(tmp_path / "home"), "ingest",
                           "../landing"], cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.startswith("1 files: 1 rows read, 1 loaded"), proc.stderr
    with warehouse.connect(tmp_path / "home", read_only=True) as con:
        assert con.execute("SELECT path FROM batches").fetchall() == [(str(landing.resolve() / "detainers" / "d.csv"),)]


# --- options that name something that is not there -------------------------------------------------

@pytest.mark.parametrize("zone", ["Mars/Olympus", "America/New_York ", "../../etc/passwd", ""])
def test_an_unknown_source_zone_is_one_line(tmp_path, compliance_cli, zone):
    landing = tmp_path / "landing"
    detainers_file(landing / "detainers")
    proc = compliance_cli(tmp_path / "home", "ingest", "--source-tz", zone, str(landing))
    assert_one_line_error(proc, f"field --source-tz: unknown time zone {zone!r}: give an IANA name "
                                "such as America/New_York")
    assert not (tmp_path / "home").exists()


def test_a_home_that_is_a_file_is_one_line(tmp_path, compliance_cli):
    home = write(tmp_path / "home", "a file")
    for command in (["status"], ["ingest", str(tmp_path)], ["query", "SELECT 1"]):
        assert_one_line_error(compliance_cli(home, *command), f"{home}: the home is not a folder")
    assert home.read_text() == "a file"


@pytest.mark.parametrize("dsn, cause", [
    ("postgresql://puller:s3cret-pw@127.0.0.1:{port}/pars?connect_timeout=5", "Connection refused"),
    ("host=127.0.0.1 port=not-a-port password=s3cret-pw", "invalid integer value \"not-a-port\""),
], ids=["refused", "malformed"])
def test_a_failed_pull_connection_is_one_line_without_the_password(tmp_path, compliance_cli, dsn, cause):
    from support import free_port

    proc = compliance_cli(tmp_path / "home", "pull", "--dsn", dsn.format(port=free_port()))
    line = assert_one_line_error(proc, "field dsn: the live database cannot be read: ", cause)
    assert "s3cret" not in line
