"""What an operator gets wrong, and what the system must then say: one line naming the cause, a
non-zero exit status, nothing touched that the mistake would spoil, never "internal error"
(docs/operations.md, "Operator errors")."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compliance import pipeline, warehouse
from compliance.errors import ComplianceError

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
