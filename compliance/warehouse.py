"""The DuckDB warehouse: opening it safely, applying migrations, table checksums."""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Iterator

import duckdb

from compliance.config import SCHEMA_DIR, resolve_home, warehouse_path
from compliance.errors import ComplianceError

LOCK_WAIT_SECONDS = float(os.environ.get("COMPLIANCE_LOCK_WAIT", "30"))


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
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


def prepare(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Session settings every warehouse connection shares: UTC, no progress bar noise."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


@contextlib.contextmanager
def connect(home: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse under `home` (created owner-only); writers apply pending migrations first."""
    path = warehouse_path(resolve_home(home))
    if read_only and not path.exists():
        raise ComplianceError("no warehouse yet: run `compliance ingest` first", path=str(path))
    old = os.umask(0o077)
    try:
        con = _open(path, read_only)
    finally:
        os.umask(old)
    try:
        prepare(con)
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


def memory() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the full schema: for rule samples and unit tests."""
    con = prepare(duckdb.connect(":memory:"))
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
