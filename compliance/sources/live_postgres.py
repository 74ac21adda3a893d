"""Pull new events from a live PostgreSQL application audit table into `access_events`.

The table has the canonical access_events columns. Each pull reads the events after the source's
watermark, the (event_ts, event_id) of the last event loaded, in that order, a batch at a time:
it copies a batch to a CSV file under the warehouse home (the batch's provenance), loads the file
like any canonical file (its statements analysed as PostgreSQL), then moves the watermark. A run
that fails before the watermark moves is repeated by the next one: the same start writes the same
file, which is unchanged or replaces its own batch, so every event is loaded exactly once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from compliance.contract import LANDING_TABLES
from compliance.errors import ComplianceError
from compliance.sources.adapter import StageOptions
from compliance.sources.canonical import CANONICAL
from compliance.sources.load import BatchResult, load_file

DEFAULT_TABLE = "access_events"
DEFAULT_SOURCE = "postgres-live"


@dataclass(frozen=True)
class Watermark:
    event_ts: dt.datetime
    event_id: str


def read_watermark(con: duckdb.DuckDBPyConnection, source: str) -> Watermark | None:
    rows = con.execute("SELECT last_event_ts, last_event_id FROM pull_watermarks WHERE source = ?",
                       [source]).fetchall()
    return Watermark(*rows[0]) if rows else None


def move_watermark(con: duckdb.DuckDBPyConnection, source: str, last: Watermark, batch_id: str) -> None:
    """The next pull of `source` starts after `last`, the final event of the committed batch."""
    con.execute("INSERT OR REPLACE INTO pull_watermarks VALUES (?, ?, ?, ?, current_timestamp)",
                [source, last.event_ts, last.event_id, batch_id])


def _table_columns(pg, table: str) -> list[str]:
    rows = pg.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum", [table]).fetchall()
    if not rows:
        raise ComplianceError("audit table not found in the live database", field=table)
    return [r[0] for r in rows]


def fetch_batch(dsn: str, table: str, source: str, after: Watermark | None, batch_size: int,
                settle_seconds: float, out: Path) -> tuple[int, Watermark | None]:
    """Copy the next `batch_size` events after `after` (and older than `settle_seconds`) to `out` as
    CSV with a header. Returns (events written, watermark of the last one). One snapshot serves both
    the copy and the watermark, so they agree."""
    import psycopg

    try:
        return _copy_batch(psycopg.connect(dsn, autocommit=False), table, source, after, batch_size,
                           settle_seconds, out)
    except psycopg.Error as exc:
        # libpq's own words (refused, timed out, authentication failed, no such database): never
        # the DSN itself, which may carry a password.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ComplianceError(f"the live database cannot be read: {first}", field="dsn") from None


def _copy_batch(pg, table: str, source: str, after: Watermark | None, batch_size: int,
                settle_seconds: float, out: Path) -> tuple[int, Watermark | None]:
    from psycopg import sql

    with pg:
        pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        pg.execute("SET TimeZone = 'UTC'")
        pg.execute("SET DateStyle = 'ISO, YMD'")
        columns = _table_columns(pg, table)
        required = LANDING_TABLES["access_events"][0]
        missing = [c for c in required if c not in columns]
        if missing:
            raise ComplianceError("required column missing in the live audit table", path=table,
                                  field=missing[0])
        select = [sql.Identifier(c) for c in columns]
        if "source" not in columns:
            select.append(sql.SQL("{} AS source").format(sql.Literal(source)))
        conditions = [sql.SQL("event_ts <= now() - make_interval(secs => {})").format(
            sql.Literal(float(settle_seconds)))]
        if after is not None:
            conditions.append(sql.SQL("(event_ts, event_id) > ({}, {})").format(
                sql.Literal(after.event_ts), sql.Literal(after.event_id)))
        query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY event_ts, event_id LIMIT {}").format(
            sql.SQL(", ").join(select), sql.Identifier(*table.split(".")),
            sql.SQL(" AND ").join(conditions), sql.Literal(batch_size))
        last = pg.execute(sql.SQL(
            "SELECT event_ts, event_id::text, count(*) OVER () FROM ({}) q "
            "ORDER BY event_ts DESC, event_id DESC LIMIT 1").format(query)).fetchall()
        if not last:
            return 0, None
        partial = out.with_name(out.name + ".part")
        out.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as handle, pg.cursor().copy(
                sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(query)) as copy:
            for chunk in copy:
                handle.write(chunk)
        partial.replace(out)
        pg.rollback()
    event_ts, event_id, count = last[0]
    return count, Watermark(event_ts, event_id)


def batch_path(home: Path, source: str, after: Watermark | None) -> Path:
    """The file a pull starting after `after` writes: the same start always gives the same path."""
    if after is None:
        name = "from-start.csv"
    else:
        stamp = after.event_ts.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"after-{stamp}-{hashlib.sha256(after.event_id.encode()).hexdigest()[:12]}.csv"
    safe_source = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in source)
    # The canonical reader names the table by the file's folder.
    return home / "pulls" / safe_source / "access_events" / name


def pull(con_factory, home: Path, dsn: str, table: str = DEFAULT_TABLE, source: str = DEFAULT_SOURCE,
         batch_size: int = 100_000, settle_seconds: float = 60, source_tz: str = "UTC",
         max_batches: int | None = None) -> list[BatchResult]:
    """Pull every settled event after the watermark, batch by batch.

    `con_factory()` opens the warehouse (a context manager): it is held only while a batch is
    ingested, never while the live database is read.
    """
    results = []
    while max_batches is None or len(results) < max_batches:
        with con_factory() as con:
            after = read_watermark(con, source)
        out = batch_path(home, source, after)
        count, last = fetch_batch(dsn, table, source, after, batch_size, settle_seconds, out)
        if not count:
            break
        with con_factory() as con:
            result = load_file(con, out, CANONICAL, StageOptions(source), source_tz)
            move_watermark(con, source, last, result.batch_id)
        results.append(result)
        if count < batch_size:
            break
    return results
