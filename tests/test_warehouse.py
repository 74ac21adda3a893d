"""The warehouse's resource bounds: every connection, the query sandbox included, runs within a
memory limit and spills into the owner-only home (docs/operations.md, "Memory and spill")."""
from __future__ import annotations

import contextlib
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.config import warehouse_path
from compliance.errors import ComplianceError
from support import DETAINER_HEADER, skip_or_fail, write


def settings(con) -> dict:
    return dict(con.execute("""SELECT name, value FROM duckdb_settings()
                               WHERE name IN ('memory_limit', 'temp_directory', 'threads')""").fetchall())


def test_a_connection_is_bounded_and_spills_inside_the_home(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_MEMORY_LIMIT", "300MB")
    monkeypatch.delenv("COMPLIANCE_TEMP_DIR", raising=False)
    home = tmp_path / "home"
    with warehouse.connect(home) as con:
        found = settings(con)
    assert found["memory_limit"] == "286.1 MiB"  # DuckDB reports 300 MB in MiB
    assert found["temp_directory"] == str(home.resolve() / "tmp")
    assert stat.S_IMODE((home / "tmp").stat().st_mode) == 0o700
    assert int(found["threads"]) == warehouse.usable_cores()


def test_the_default_limit_leaves_the_machine_room(monkeypatch, tmp_path):
    monkeypatch.delenv("COMPLIANCE_MEMORY_LIMIT", raising=False)
    monkeypatch.setenv("COMPLIANCE_TEMP_DIR", str(tmp_path / "spill"))
    megabytes = int(warehouse.default_memory_limit().removesuffix("MB"))
    assert 0 < megabytes <= 2048
    with warehouse.connect(tmp_path / "home") as con:
        assert settings(con)["temp_directory"] == str(tmp_path / "spill")


def test_a_bad_limit_is_one_line_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_MEMORY_LIMIT", "lots")
    with pytest.raises(ComplianceError) as error:
        with warehouse.connect(tmp_path / "home"):
            pass
    assert error.value.field == "COMPLIANCE_MEMORY_LIMIT" and "\n" not in str(error.value)


def test_the_query_sandbox_cannot_lift_its_bounds(tmp_path, monkeypatch, compliance_cli):
    monkeypatch.setenv("COMPLIANCE_MEMORY_LIMIT", "300MB")
    home = tmp_path / "home"
    with warehouse.connect(home):
        pass
    shown = compliance_cli(home, "query", "SELECT current_setting('memory_limit') AS m")
    assert shown.returncode == 0 and shown.stdout.splitlines() == ["m", "286.1 MiB"]
    lifted = compliance_cli(home, "query", "SET memory_limit = '20GB'")
    assert lifted.returncode != 0 and "configuration has been locked" in lifted.stderr
    outside = compliance_cli(home, "query", f"SELECT * FROM read_text('{tmp_path / 'secret.txt'}')")
    assert outside.returncode != 0 and "file system operations are disabled" in outside.stderr


def test_query_output_streams_every_row(tmp_path, compliance_cli):
    home = tmp_path / "home"
    with warehouse.connect(home):
        pass
    out = compliance_cli(home, "query", "SELECT range AS n FROM range(25000)")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "n" and len(lines) == 25001 and lines[-1] == "24999"


# --- a full disk: the cause is what the operator reads --------------------------------------------

def wal_on_dev_full(home: Path):
    """The warehouse's next write-ahead log is /dev/full, which fails every write with ENOSPC, what
    a full disk gives: a commit fails on a full disk, without root or a mounted tmpfs."""
    if not Path("/dev/full").exists():
        skip_or_fail("/dev/full is not available")
    wal = warehouse_path(home).with_name(warehouse_path(home).name + ".wal")
    assert not wal.exists()  # the last connection checkpointed and removed its log
    wal.symlink_to("/dev/full")
    return None, wal.unlink, "No space left on device"


def file_size_limit(home: Path):
    """No write past the first 64 KiB of any file (RLIMIT_FSIZE, EFBIG), as on a full disk: the
    checkpoint fails and DuckDB invalidates the database, so every later statement of the process,
    clean-ups included, fails with it."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    return limit, lambda: None, "File too large"


def landing_with(tmp_path: Path, *ids: str) -> Path:
    write(tmp_path / "landing" / "detainers" / "d.csv",
          "\n".join([DETAINER_HEADER, *(f"{i},P{i},B{i},2016-03-04T10:00:00-05:00,I-247D,,declined,,,"
                                        for i in ids)]) + "\n")
    return tmp_path / "landing"


def cli(home: Path, *args: str, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compliance.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=300, preexec_fn=preexec_fn)


@pytest.mark.parametrize("stage, disk", [("ingest", wal_on_dev_full), ("evaluate", wal_on_dev_full),
                                         ("ingest", file_size_limit)],
                         ids=lambda value: getattr(value, "__name__", value))
def test_a_full_disk_is_reported_as_such_and_a_rerun_after_it_is_clean(tmp_path, stage, disk):
    home, clean = tmp_path / "home", tmp_path / "clean"
    landing = landing_with(tmp_path, *(f"D{n}" for n in range(2000)))
    ingest, evaluate = ("ingest", str(landing)), ("evaluate", "--month", "2016-03")
    command = ingest if stage == "ingest" else evaluate
    if stage == "evaluate":
        assert cli(home, *ingest).returncode == 0
    else:
        with warehouse.connect(home):
            pass
    preexec_fn, make_room, cause = disk(home)
    failed = cli(home, *command, preexec_fn=preexec_fn)
    lines = failed.stderr.splitlines()
    assert failed.returncode == 2 and len(lines) == 1, failed.stderr
    assert lines[0].startswith("compliance: error: ") and lines[0].endswith(f": {cause}"), lines[0]
    assert "rollback" not in lines[0] and "has been invalidated" not in lines[0] and "internal error" not in lines[0]

    make_room()
    assert cli(home, *command).returncode == 0
    if stage == "ingest":
        assert cli(home, *evaluate).returncode == 0
    for args in (ingest, evaluate):
        assert cli(clean, *args).returncode == 0
    checksums = []
    for target in (home, clean):
        with warehouse.connect(target, read_only=True) as con:
            # `batches` records when each file was loaded, and the evidence chain's hashes cover when
            # each record was made: their counts and what they record must still match.
            checksums.append((warehouse.table_checksums(con, exclude=("run_log", "batches", "evidence_chain")),
                              con.execute("SELECT kind, record_key FROM evidence_chain ORDER BY seq").fetchall()))
            assert con.execute("SELECT count(*) FROM batches").fetchall() == [(1,)]
    assert checksums[0] == checksums[1]


def test_a_database_invalidated_by_a_full_disk_reports_the_first_failure(tmp_path):
    """After a failed checkpoint every statement fails with "database has been invalidated", a
    stage's clean-up too; what leaves the warehouse is the failure that started it."""
    script = f"""
import resource, signal
import duckdb
from compliance import warehouse
from compliance.errors import ComplianceError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
try:
    with warehouse.connect({str(tmp_path / "home")!r}) as con:
        con.execute("CREATE TABLE big AS SELECT range AS n, repeat('x', 100) AS pad FROM range(100000)")
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        try:
            con.execute("CHECKPOINT")
        except duckdb.FatalException:
            pass
        con.execute("DROP TABLE big")  # what a stage's clean-up runs next
except ComplianceError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert out.stdout.startswith("Failed to create checkpoint because of error: Could not write file ")
    assert out.stdout.rstrip().endswith("\": File too large") and "has been invalidated" not in out.stdout, out.stdout


# --- owner-only for as long as the warehouse is open ---------------------------------------------

@pytest.fixture
def group_readable_umask():
    """The umask most shells give: what DuckDB would create under it is readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_write_ahead_log_is_owner_only(tmp_path, group_readable_umask):
    home = tmp_path / "home"
    with warehouse.connect(home) as con:
        con.execute("CREATE TABLE written AS SELECT range AS n FROM range(10)")
        wal = warehouse_path(home).with_name("warehouse.duckdb.wal")
        assert wal.exists()  # DuckDB makes it at the first commit after opening
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_the_spill_folder_gets_the_homes_rule(tmp_path, monkeypatch, group_readable_umask):
    monkeypatch.setenv("COMPLIANCE_TEMP_DIR", str(tmp_path / "spill" / "duckdb"))
    with warehouse.connect(tmp_path / "home"):
        pass
    assert [stat.S_IMODE((tmp_path / p).stat().st_mode) for p in ("spill", "spill/duckdb")] == [0o700, 0o700]

    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("COMPLIANCE_TEMP_DIR", str(shared))
    with pytest.raises(ComplianceError, match=r"the spill folder is open to group or others \(mode 1777\)"):
        with warehouse.connect(tmp_path / "home"):
            pass
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


def test_spilled_data_is_owner_only(tmp_path, monkeypatch, group_readable_umask):
    """A sort larger than the memory limit spills; its files are made while the query runs."""
    monkeypatch.setenv("COMPLIANCE_MEMORY_LIMIT", "100MB")
    monkeypatch.delenv("COMPLIANCE_TEMP_DIR", raising=False)
    home = tmp_path / "home"
    seen = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for path in (home / "tmp").glob("*"):
                with contextlib.suppress(FileNotFoundError):
                    seen.add(stat.S_IMODE(path.stat().st_mode))
            time.sleep(0.01)
    with warehouse.connect(home) as con:
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            con.execute("SET preserve_insertion_order = false")
            con.execute("CREATE TABLE sorted AS SELECT range AS n, md5(range::VARCHAR) AS h "
                        "FROM range(3000000) ORDER BY h")
        finally:
            stop.set()
            watcher.join()
    assert seen == {0o600}


# --- `compliance query` waits for a lock like every other command ----------------------------------

def query_process(home: Path, lock_wait: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "compliance.cli", "--home", str(home), "query",
                             "SELECT count(*) AS n FROM range(3)"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COMPLIANCE_LOCK_WAIT": lock_wait})


def test_query_waits_for_a_writer_to_finish(tmp_path):
    home = tmp_path / "home"
    with warehouse.connect(home):  # a writer holds the file while the query starts
        query = query_process(home, "60")
        time.sleep(3)
        assert query.poll() is None, query.communicate()
    out, err = query.communicate(timeout=60)
    assert (query.returncode, out, err) == (0, "n\n3\n", "")


def test_query_gives_up_on_a_lock_in_one_line(tmp_path):
    home = tmp_path / "home"
    with warehouse.connect(home):
        out, err = query_process(home, "1").communicate(timeout=60)
    assert out == "" and err.splitlines() == [
        f"compliance: error: {warehouse_path(home)}: warehouse is in use by another process (waited 1 s); "
        "retry when the running ingest or report finishes"]


def test_query_memory_does_not_grow_with_the_result(tmp_path):
    """Ten times the rows (200 MB of text against 20 MB) take no more memory: the rows stream."""
    home = tmp_path / "home"
    with warehouse.connect(home):
        pass
    script = ("import resource, sys\nfrom compliance import cli\n"
              "code = cli.main(['--home', sys.argv[1], 'query', f\"SELECT repeat('x', 1000) AS pad FROM range({sys.argv[2]})\"])\n"
              "print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    peaks = []
    for rows in (20_000, 200_000):
        run = subprocess.run([sys.executable, "-c", script, str(home), str(rows)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, timeout=300)
        code, peak_kb = run.stderr.split()
        assert code == "0", run.stderr
        peaks.append(int(peak_kb))
    assert peaks[1] - peaks[0] < 40 * 1024, peaks  # a held result would add about 180 MB
