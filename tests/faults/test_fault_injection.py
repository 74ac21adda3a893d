"""Fault injection: kill -9 at every stage boundary, a full disk, two writers and a corrupted
warehouse, each on the same synthetic month, run as a user runs the CLI.

After each fault the command that met it says so in one line, without a traceback; once the
cause is removed, the same commands run again leave the warehouse identical to a clean run's and
the same report versions (docs/operations.md, "Faults and recovery").
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from compliance.config import warehouse_path
from compliance.synth import generate
from support import skip_or_fail

pytestmark = pytest.mark.slow

MONTH = "2016-02"
# Columns that record when something happened, not what: they differ between any two runs.
CLOCK_COLUMNS = {"ingested_at", "first_reported_at", "month_first_reported_at", "updated_at", "since",
                 "recorded_at", "started_at", "finished_at"}
# Tables that log the runs themselves (each attempt is a row) rather than the data.
RUN_TABLES = {"run_log"}
# Its hashes cover when each record was made: what it records is compared (a month's flags by
# their number; the flags themselves are in `flags`), and `verify` checks the rest.
CHAIN_TABLE = "evidence_chain"


def cli(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compliance.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=timeout)


def ingest_and_run(home: Path, landing: Path) -> None:
    for args in (("ingest", str(landing)), ("run", "--month", MONTH)):
        done = cli(home, *args)
        assert done.returncode == 0, done.stderr


def snapshot(home: Path, landing: Path) -> dict:
    """What a run leaves: every table's rows (clock columns aside, order aside, a file's path
    read from its `landing`), what the evidence chain records and the report versions."""
    con = duckdb.connect(str(warehouse_path(home)), read_only=True)
    try:
        tables = {}
        for (table,) in con.execute("""SELECT table_name FROM information_schema.tables
                                       WHERE table_schema = 'main' AND table_type = 'BASE TABLE'""").fetchall():
            if table in RUN_TABLES or table == CHAIN_TABLE:
                continue
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if c not in CLOCK_COLUMNS]
            # Batches and evidence name the landing's files: compared as paths inside it.
            row = ", ".join(f"""replace(CAST("{c}" AS VARCHAR), '{landing.resolve()}', '<landing>')"""
                            for c in columns)
            tables[table] = con.execute(
                f'SELECT count(*), coalesce(sum(hash(({row})::VARCHAR)::HUGEINT), 0) FROM "{table}"').fetchall()[0]
        chain = con.execute(f"""SELECT kind, record_key, CASE WHEN kind = 'flags' THEN record ->> 'flags' END
                                FROM {CHAIN_TABLE} ORDER BY ALL""").fetchall()
    finally:
        con.close()
    reports = home / "reports" / MONTH
    versions = sorted(p.name for p in reports.iterdir()) if reports.is_dir() else []
    return {"tables": tables, "chain": chain, "report_versions": versions}


def assert_recovers(home: Path, landing: Path, clean: dict) -> None:
    """The same commands again, the cause removed, leave what a clean run leaves."""
    ingest_and_run(home, landing)
    assert snapshot(home, landing) == clean
    assert_verifies(home)
    assert not list((home / "reports").rglob(".building-*"))


def assert_verifies(home: Path) -> None:
    """The month's latest report version passes `compliance verify` (docs/evidence.md)."""
    latest = max((p for p in (home / "reports" / MONTH).glob("v*") if p.is_dir()), key=lambda p: int(p.name[1:]))
    done = cli(home, "verify", str(latest))
    assert done.returncode == 0, done.stdout + done.stderr


def assert_one_line_error(done: subprocess.CompletedProcess, *causes: str) -> None:
    """Failed, said why in one line naming one of `causes`, and showed no traceback."""
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("compliance: ")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("compliance: error: "), lines[0]
    assert any(cause.lower() in lines[0].lower() for cause in causes), lines[0]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("faults") / "landing"
    generate(folder, MONTH, MONTH, 7)
    return folder


@pytest.fixture(scope="module")
def clean(landing, tmp_path_factory) -> dict:
    """The month as a clean run leaves it."""
    home = tmp_path_factory.mktemp("clean") / "home"
    ingest_and_run(home, landing)
    return snapshot(home, landing)


def killed_at(home: Path, args: tuple[str, ...], marker: str, delay: float = 0.0) -> None:
    """Run the CLI and kill -9 it once a line of its progress contains `marker` (after `delay`)."""
    process = subprocess.Popen([sys.executable, "-m", "compliance.cli", "--home", str(home), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if marker in line:
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, f"{args} ended before {marker!r} ({process.returncode})"


# Each stage boundary of ingest and run, and one kill inside the report build (a long stage).
BOUNDARIES = [
    pytest.param(("ingest",), "[1/", 0.0, id="ingest-after-first-file"),
    pytest.param(("ingest",), "[3/", 0.0, id="ingest-mid-landing"),
    pytest.param(("run", "--month", MONTH), "validating, evaluating", 0.0, id="run-before-validate"),
    pytest.param(("run", "--month", MONTH), "validate done", 0.0, id="run-after-validate"),
    pytest.param(("run", "--month", MONTH), "evaluate done", 0.0, id="run-after-evaluate"),
    pytest.param(("run", "--month", MONTH), "evaluate done", 1.5, id="run-inside-report"),
]


@pytest.mark.parametrize("command, marker, delay", BOUNDARIES)
def test_kill_9_then_a_rerun_leaves_what_a_clean_run_leaves(landing, clean, tmp_path, command, marker, delay):
    home = tmp_path / "home"
    if command[0] == "run":
        assert cli(home, "ingest", str(landing)).returncode == 0
        killed_at(home, command, marker, delay)
    else:
        killed_at(home, ("ingest", str(landing)), marker, delay)
    assert_recovers(home, landing, clean)


def test_two_writers_at_once_wait_for_each_other(landing, clean, tmp_path):
    home = tmp_path / "home"
    writers = [subprocess.Popen([sys.executable, "-m", "compliance.cli", "--home", str(home), "ingest", str(landing)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(w.wait(timeout=600), w.stderr.read()) for w in writers]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert all("Traceback" not in err for _, err in outcomes)
    assert cli(home, "run", "--month", MONTH).returncode == 0
    assert snapshot(home, landing) == clean
    assert_verifies(home)


@pytest.fixture
def small_disk(tmp_path):
    """A folder on its own tmpfs; yields a function that resizes it (root only, as in CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        skip_or_fail("a small disk needs root to mount a tmpfs")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount_point)], check=True)

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(mount_point)], check=True)
    try:
        yield mount_point, resize
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_during_ingest_is_one_line_and_a_rerun_with_room_recovers(landing, clean, small_disk):
    disk, resize = small_disk
    home = disk / "home"
    assert_one_line_error(cli(home, "ingest", str(landing)), "no space left on device")
    resize("256m")
    assert_recovers(home, landing, clean)


def test_a_full_disk_during_the_report_is_one_line_and_a_rerun_with_room_recovers(landing, clean, small_disk):
    disk, resize = small_disk
    home = disk / "home"
    resize("256m")
    assert cli(home, "ingest", str(landing)).returncode == 0
    used = shutil.disk_usage(disk).used
    resize(f"{used // 1024 + 512}k")  # room for the flags, not for the report's files
    assert_one_line_error(cli(home, "run", "--month", MONTH), "no space left on device")
    resize("256m")
    assert_recovers(home, landing, clean)


def test_a_corrupted_warehouse_is_one_line_and_a_fresh_one_recovers(landing, clean, tmp_path):
    home = tmp_path / "home"
    assert cli(home, "ingest", str(landing)).returncode == 0
    path = warehouse_path(home)
    # Past DuckDB's three header blocks: the first storage block, which every open reads.
    with path.open("r+b") as handle:
        handle.seek(3 * 4096)
        handle.write(os.urandom(256 * 1024))
    for args in (("status",), ("run", "--month", MONTH)):
        assert_one_line_error(cli(home, *args), "corrupt", "checksum", "warehouse")
    path.unlink()
    assert_recovers(home, landing, clean)


# Hostile or mistaken arguments: refused in one line before anything is touched.
REFUSED_ARGUMENTS = [
    pytest.param(("run", "--month", "2016-02\n"), "is not YYYY-MM", id="month-with-newline"),
    pytest.param(("run", "--month", "\uff12\uff10\uff11\uff16-02"), "is not YYYY-MM", id="month-full-width-digits"),
    pytest.param(("ingest", "--source-tz", "Mars/Olympus", "LANDING"), "unknown time zone", id="unknown-source-tz"),
    pytest.param(("ingest", "LANDING/access_events"), "table's folder", id="table-folder-as-landing"),
]


@pytest.mark.parametrize("args, cause", REFUSED_ARGUMENTS)
def test_a_refused_argument_is_one_line_and_changes_nothing(landing, clean, tmp_path, args, cause):
    home = tmp_path / "home"
    assert cli(home, "ingest", str(landing)).returncode == 0
    before = snapshot(home, landing)
    assert_one_line_error(cli(home, *(a.replace("LANDING", str(landing)) for a in args)), cause)
    assert snapshot(home, landing) == before
    assert cli(home, "run", "--month", MONTH).returncode == 0
    assert snapshot(home, landing) == clean


@pytest.mark.parametrize("make_home, cause", [
    pytest.param(lambda p: (p.mkdir(), p.chmod(0o1777)), "open to group or others", id="shared-1777-folder"),
    pytest.param(lambda p: p.write_text("not a folder"), "not a folder", id="home-is-a-file"),
])
def test_a_home_that_cannot_be_used_is_one_line_and_left_as_it_was(landing, tmp_path, make_home, cause):
    home = tmp_path / "home"
    make_home(home)
    before = home.stat()
    assert_one_line_error(cli(home, "ingest", str(landing)), cause)
    after = home.stat()
    assert (after.st_mode, after.st_size, after.st_mtime_ns) == (before.st_mode, before.st_size, before.st_mtime_ns)


def _gzip_bomb(path: Path) -> None:
    import gzip

    with gzip.open(path, "wb", compresslevel=9) as handle:
        for _ in range(512):
            handle.write(b"{}\n" * (1 << 18))  # 400 MB of text from a few hundred kB


# A file a landing may receive that cannot be loaded at all: refused, and the rest of the landing
# loads; removing it leaves what a clean run leaves.
REFUSED_FILES = [
    pytest.param("detainers/detainers_2016-02-partial.csv", lambda p: p.write_bytes(b""), "empty file",
                 id="zero-byte-file"),
    pytest.param("arrests/arrests_2016-02-binary.csv", lambda p: p.write_bytes(os.urandom(1 << 16)), "not a text file",
                 id="not-text"),
    pytest.param("access_events/access_events_2016-02-bomb.jsonl.gz", _gzip_bomb, "decompression bomb", id="gzip-bomb"),
    pytest.param("detainers/detainers_2016-02-short.csv",
                 lambda p: p.write_text("detainer_id,person_id\nD1,P1\n"), "required column missing",
                 id="missing-required-column"),
]


@pytest.mark.parametrize("name, write, cause", REFUSED_FILES)
def test_a_refused_file_is_one_line_and_the_rest_of_the_landing_loads(landing, clean, tmp_path, name, write, cause):
    hostile = tmp_path / "landing"
    shutil.copytree(landing, hostile)
    write(hostile / name)
    home = tmp_path / "home"
    done = cli(home, "ingest", str(hostile))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    refused = [line for line in done.stderr.splitlines() if line.startswith("compliance: ")]
    assert len(refused) == 1 and refused[0].startswith("compliance: refused: "), done.stderr
    assert Path(name).name in refused[0] and cause.lower() in refused[0].lower(), refused[0]
    (hostile / name).unlink()
    for args in (("ingest", str(hostile)), ("run", "--month", MONTH)):
        assert cli(home, *args).returncode == 0
    assert snapshot(home, hostile) == clean


def _damage_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[data.index(b"\n", len(data) // 2) + 5] = 0xFF  # inside a record in the middle of the file
    path.write_bytes(bytes(data))


def _mix_line_endings(path: Path) -> None:
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(line + b"\r" if i % 7 == 3 and line else line for i, line in enumerate(lines)))


def _append_hostile_events(path: Path) -> None:
    """Two lookups a reader must see for what they are: a 1 MB statement without a space, and an
    account whose name a bidi override reverses on screen."""
    import json

    last = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    long_statement = dict(last, event_id="HOSTILE-1", statement="SELECT*FROM(persons)WHERE(id)IN(" +
                          ",".join(str(1_000_000 + n) for n in range(130_000)) + ")", purpose_code="")
    spoofed = dict(last, event_id="HOSTILE-2", account_id="PPD-D01-0417\u202eresu_eci", purpose_code="")
    with path.open("a", encoding="utf-8") as handle:
        for event in (long_statement, spoofed):
            handle.write(json.dumps(event) + "\n")


# Damaged or hostile records inside a good file: they cost their own records at most, the run
# completes, and the corrected file replaces its batch, leaving what a clean run leaves.
DAMAGED_FILES = [
    pytest.param("custody_events/custody_events_2016-02.csv", _damage_one_byte, lambda lines: 1,
                 id="one-invalid-utf8-byte"),
    pytest.param("custody_events/custody_events_2016-02.csv", _mix_line_endings, lambda lines: lines // 7 + 1,
                 id="mixed-line-endings"),
    pytest.param("access_events/access_events_2016-02.jsonl", _append_hostile_events, lambda lines: 0,
                 id="long-statement-and-bidi-account"),
]


@pytest.mark.parametrize("name, damage, most_lost", DAMAGED_FILES)
def test_damaged_records_cost_only_themselves_and_a_corrected_file_recovers(landing, clean, tmp_path, name, damage,
                                                                          most_lost):
    hostile = tmp_path / "landing"
    shutil.copytree(landing, hostile)
    damage(hostile / name)
    home = tmp_path / "home"
    for args in (("ingest", str(hostile)), ("run", "--month", MONTH)):
        done = cli(home, *args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    lines = (landing / name).read_bytes().count(b"\n")
    con = duckdb.connect(str(warehouse_path(home)), read_only=True)
    try:
        [(read, lost)] = con.execute("SELECT rows_read, rows_quarantined FROM batches WHERE path LIKE ?",
                                     [f"%{name}"]).fetchall()
    finally:
        con.close()
    assert read >= lines - 1 and lost <= most_lost(lines), (read, lost)
    html = next((home / "reports" / MONTH).glob("v1/ig-report-*.html")).read_text(encoding="utf-8")
    assert "\u202e" not in html
    shutil.copy(landing / name, hostile / name)
    for args in (("ingest", str(hostile)), ("run", "--month", MONTH)):
        assert cli(home, *args).returncode == 0
    # What was stays on record: the chain and v1 hold the damaged batch and the report built on it,
    # late_batches that the corrected file came after the month was reported, statement_analysis
    # (every statement ever analysed) the hostile statement. Everything else is as if clean.
    on_record = {"late_batches", "statement_analysis"}
    recovered = snapshot(home, hostile)["tables"]
    assert {t: v for t, v in recovered.items() if t not in on_record} == \
        {t: v for t, v in clean["tables"].items() if t not in on_record}
    assert recovered["late_batches"][0] == 1
    assert_verifies(home)
