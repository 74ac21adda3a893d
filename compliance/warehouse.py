"""The DuckDB warehouse: opening it safely and within bounds, applying migrations, table checksums.

Every connection gets the same resource bounds (docs/operations.md, "Memory and spill"): a memory
limit (`COMPLIANCE_MEMORY_LIMIT`, default a quarter of the machine's memory, at most 2 GB), a spill
folder inside the owner-only home (`COMPLIANCE_TEMP_DIR`, default `<home>/tmp`) and one thread per
usable core. DuckDB's own default, 80% of RAM and no folder of ours, lets one large month take the
machine down.
"""
from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path
from typing import Iterator

import duckdb

from compliance.config import SCHEMA_DIR, owner_only, owner_only_folder, resolve_home, warehouse_path
from compliance.errors import ComplianceError

LOCK_WAIT_SECONDS = float(os.environ.get("COMPLIANCE_LOCK_WAIT", "30"))
DEFAULT_MEMORY_CAP = 2 * 1024**3


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_memory_limit() -> str:
    """A quarter of physical memory, at most 2 GB: room for Python, the OS and a second process."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 4 * DEFAULT_MEMORY_CAP
    return f"{min(physical // 4, DEFAULT_MEMORY_CAP) // 1024**2}MB"


def resource_config(home: Path | None) -> dict[str, str | int]:
    """DuckDB settings that bound a connection: memory limit, spill folder (created owner-only
    under `home` unless COMPLIANCE_TEMP_DIR names one), threads."""
    config: dict[str, str | int] = {
        "memory_limit": os.environ.get("COMPLIANCE_MEMORY_LIMIT", "").strip() or default_memory_limit(),
        "threads": usable_cores(),
    }
    chosen = os.environ.get("COMPLIANCE_TEMP_DIR", "").strip()
    if chosen or home is not None:
        folder = Path(chosen).expanduser() if chosen else Path(home) / "tmp"
        # What spills is the warehouse's personal data: the home's rule (a shared /tmp is refused).
        config["temp_directory"] = str(owner_only_folder(folder, "spill"))
    return config


def connect_bounded(path: str | Path, home: Path | None, **config) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect` with the resource bounds; a bad COMPLIANCE_MEMORY_LIMIT is one clear line."""
    try:
        return duckdb.connect(str(path), config={**resource_config(home), **config})
    except (duckdb.ParserException, duckdb.InvalidInputException) as exc:
        raise ComplianceError(f"cannot apply the warehouse's resource settings: {str(exc).splitlines()[0]}",
                              field="COMPLIANCE_MEMORY_LIMIT") from None


def open_waiting(path: Path, read_only: bool, **config) -> duckdb.DuckDBPyConnection:
    """`connect_bounded` to the warehouse file at `path` (spilling into its home), waiting up to
    LOCK_WAIT_SECONDS for another process's lock; `config` adds DuckDB settings."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return connect_bounded(path, path.parent, access_mode="READ_ONLY" if read_only else "READ_WRITE",
                                   **config)
        except duckdb.Error as exc:
            if is_corruption(exc):
                raise ComplianceError(damaged(exc), path=str(path)) from None
            if not isinstance(exc, duckdb.IOException):
                raise
            # DuckDB allows one writer process per file and no reader beside it
            # (docs/architecture.md, "Concurrency").
            if "lock" not in str(exc).lower():
                raise ComplianceError(f"cannot open warehouse: {exc}", path=str(path)) from None
            if time.monotonic() >= deadline:
                raise ComplianceError(
                    f"warehouse is in use by another process (waited {LOCK_WAIT_SECONDS:.0f} s); "
                    "retry when the running ingest or report finishes", path=str(path)) from None
            time.sleep(0.5)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every sql/schema/NNN_*.sql not yet applied, in order; return the applied names."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY)")
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for script in sorted(SCHEMA_DIR.glob("*.sql")):
        if script.stem in done:
            continue
        con.execute("BEGIN")
        con.execute(script.read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_migrations VALUES (?)", [script.stem])
        con.execute("COMMIT")
        applied.append(script.stem)
    return applied


def abandon(con: duckdb.DuckDBPyConnection, *resets: str) -> None:
    """Roll back a failed transaction, then run `resets` (session settings to restore), all
    quietly: the failure that got here is the one to report. A COMMIT that failed has already ended
    its transaction, and a full disk invalidates the database, so a ROLLBACK's own complaint ("no
    transaction is active", "database has been invalidated") would only hide the cause."""
    for statement in ("ROLLBACK", *resets):
        with contextlib.suppress(duckdb.Error):
            con.execute(statement)


def failure_cause(exc: duckdb.Error) -> str:
    """One line naming what failed. A database invalidated by a fatal error (a full disk at a
    checkpoint) fails every later statement, clean-ups included, with a message that quotes that
    first error: it is the cause."""
    text = str(exc).strip()
    original = re.search(r'^Original error: "(.*)"$', text, flags=re.M)
    if original:
        return original.group(1)
    return text.splitlines()[0] if text else type(exc).__name__


def is_storage_failure(exc: duckdb.Error) -> bool:
    """The warehouse's own storage failed (a full disk fails a write, a commit or a checkpoint),
    as opposed to the statement or its input: no other input would fare better."""
    if isinstance(exc, (duckdb.TransactionException, duckdb.FatalException)):
        return True
    text = str(exc).lower()
    return isinstance(exc, duckdb.IOException) and ("no space left" in text or "could not write" in text)


def is_corruption(exc: duckdb.Error) -> bool:
    """DuckDB found a block whose checksum does not match: the file was changed under it."""
    return "corrupt database file" in str(exc).lower()


def damaged(exc: duckdb.Error) -> str:
    return (f"the warehouse file is damaged ({failure_cause(exc)}); restore it from a backup, or move "
            "it aside and ingest the landing files again (docs/operations.md, \"Faults and recovery\")")


def prepare(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Session settings every warehouse connection shares: UTC, no progress bar noise."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


@contextlib.contextmanager
def connect(home: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse under `home` (created owner-only); writers apply pending migrations first.

    Owner-only for as long as it is open, not only while the file is created: DuckDB makes its
    write-ahead log at the first commit and its spill files as it goes, and writes exports."""
    path = warehouse_path(resolve_home(home))
    if read_only and not path.exists():
        raise ComplianceError("no warehouse yet: run `compliance ingest` first", path=str(path))
    with owner_only():
        con = open_waiting(path, read_only)
        try:
            prepare(con)
            if not read_only:
                migrate(con)
            yield con
        except (duckdb.IOException, duckdb.TransactionException, duckdb.FatalException) as exc:
            # The storage failed under the stage (a full disk fails a write, a commit or a
            # checkpoint, by these three): DuckDB's own words name the file and the cause.
            raise ComplianceError(failure_cause(exc)) from None
        except duckdb.Error as exc:
            if is_corruption(exc):  # a damaged block met only when a stage reads it
                raise ComplianceError(damaged(exc), path=str(path)) from None
            raise
        finally:
            con.close()


def memory() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the full schema: for rule samples and unit tests."""
    con = prepare(connect_bounded(":memory:", None))
    migrate(con)
    return con


def table_checksums(con: duckdb.DuckDBPyConnection, exclude: tuple[str, ...] = ("run_log",)) -> dict:
    """Order-independent checksum of every table's content (for idempotency checks)."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]
    sums = {}
    for name in tables:
        if name in exclude:
            continue
        count, digest = con.execute(
            f'SELECT count(*), coalesce(sum(hash(t::VARCHAR)::HUGEINT), 0) FROM "{name}" t').fetchall()[0]
        sums[name] = (count, digest)
    return sums
