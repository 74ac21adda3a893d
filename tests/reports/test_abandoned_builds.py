"""A report build killed before it published leaves a staging folder with personal data in it; the
next build removes it, and never one a live build is working in (compliance/reports/versions.py)."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from compliance import pipeline
from compliance.config import reports_dir
from compliance.reports import versions
from report_helpers import flag_row

MONTH = "2016-03"


def killed_build(folder: Path) -> Path:
    """A process that stages a version, writes into it and is killed with SIGKILL."""
    script = ("import os, signal, sys\nfrom pathlib import Path\nfrom compliance.reports import versions\n"
              "staged = versions.staging(Path(sys.argv[1]))\n"
              "(staged / 'flags.csv').write_text('personal data')\n"
              "print(staged, flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n")
    run = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr
    staged = Path(run.stdout.strip())
    assert (staged / "flags.csv").is_file()
    return staged


def test_the_next_build_removes_what_killed_builds_left_in_every_month(tmp_path):
    reports = tmp_path / "reports"
    left = [killed_build(reports / MONTH), killed_build(reports / "2016-02")]
    staged = versions.staging(reports / MONTH)
    try:
        assert [path.exists() for path in left] == [False, False]
        assert staged.is_dir() and staged.name.startswith(versions.BUILDING)
    finally:
        versions.discard(staged)


def test_a_live_build_is_left_alone(tmp_path):
    folder = tmp_path / "reports" / MONTH
    live = versions.staging(folder)
    (live / "flags.csv").write_text("being written")
    other = versions.staging(folder)
    try:
        assert (live / "flags.csv").read_text() == "being written"
    finally:
        versions.discard(other)
    published = versions.publish(live, folder, 1)
    assert (published / "flags.csv").is_file()
    versions.discard(versions.staging(folder))
    assert (published / "flags.csv").is_file()  # published: no longer a staging folder
    assert sorted(p.name for p in folder.iterdir()) == ["latest", "v1"]


def test_a_report_build_after_a_killed_one_leaves_no_staging_folder(tiny_home):
    home = tiny_home(flags=[flag_row("f1", MONTH)])
    left = killed_build(reports_dir(home) / MONTH)
    reports = pipeline.build_reports(home, MONTH)
    assert reports.created and not left.exists()
    assert sorted(p.name for p in (reports_dir(home) / MONTH).iterdir()) == ["latest", "v1"]
