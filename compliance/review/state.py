"""Where a month's review stands: each flag's standing decision (a person's review, or an
exception's), the progress, the split the committee summary shows, each rule's precision and the
sign-off. Worked out in DuckDB over the version's Parquet, whatever the month's flag count; only
the decisions and exceptions come from the review store (docs/review.md)."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import duckdb

from compliance import queries
from compliance.warehouse import connect_bounded
from compliance.reports import versions
from compliance.review.exceptions import list_exceptions
from compliance.review.store import Decision, ReviewStore

# Dispositions that set a finding aside: after review it is not a violation.
SET_ASIDE = ("justified", "false_positive", "data_error", "duplicate")


def flags_file(version_dir: Path) -> Path | None:
    """The version's flags Parquet (its manifest's `flags_parquet` output)."""
    manifest = versions.read_manifest(version_dir)
    name = ((manifest.get("outputs") or {}).get("flags_parquet") or {}).get("file")
    return version_dir / name if name else None


@contextlib.contextmanager
def flag_states(store: ReviewStore, home: Path, month: str,
                flags_path: Path | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB, bounded like the warehouse (it spills under `home`), holding the temp
    view `flag_states` (sql/review/flag_states.sql) for the month's flags at `flags_path` (None: a
    month with no version, only its decisions)."""
    con = connect_bounded(":memory:", home)
    try:
        decisions = [asdict(d) for d in store.latest(month).values()]
        _load(con, "latest_decisions", {name: "VARCHAR" for name in Decision.__dataclass_fields__}, decisions)
        _load(con, "exceptions_in_force",
              {"seq": "BIGINT", "exception_id": "VARCHAR", "rule_id": "VARCHAR", "account_id": "VARCHAR",
               "statement_pattern": "VARCHAR", "reason": "VARCHAR", "recorded_at": "VARCHAR", "ends_on": "DATE"},
              [{**x.__dict__, "ends_on": x.ends_on} for x in list_exceptions(store)])
        if flags_path is None or not flags_path.is_file():
            # No published flags: an empty table of the Parquet's shape stands in for them.
            flags_path = _empty_flags(con)
        sql = queries.text("review/flag_states")
        con.execute("CREATE TEMP VIEW flag_states AS " + sql.replace("$flags", queries.literal(str(flags_path))))
        yield con
    finally:
        con.close()


def _load(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[dict]) -> None:
    """A temp table of `rows`, passed column by column in one statement (DuckDB's executemany
    costs a round trip per row)."""
    con.execute(f"CREATE TEMP TABLE {table} (" + ", ".join(f"{c} {t}" for c, t in columns.items()) + ")")
    if rows:
        con.execute(f"INSERT INTO {table} SELECT " + ", ".join(f"CAST(unnest(${i + 1}) AS {t})"
                                                             for i, t in enumerate(columns.values())),
                    [[row[c] for row in rows] for c in columns])


def _empty_flags(con: duckdb.DuckDBPyConnection) -> str:
    con.execute("CREATE TEMP TABLE no_flags (flag_id VARCHAR, month VARCHAR, rule_id VARCHAR, rule_version VARCHAR, "
                "category VARCHAR, account_id VARCHAR, event_ts TIMESTAMPTZ, event_local VARCHAR, evidence JSON)")
    return "no_flags"


def state_rows(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> list[dict]:
    cursor = con.execute("SELECT * FROM flag_states" + (f" WHERE {where}" if where else "") + " ORDER BY flag_id",
                         params or [])
    names = [d[0] for d in cursor.description]
    return [{k: queries.plain(v) for k, v in zip(names, row)} for row in cursor.fetchall()]


def precision(store: ReviewStore) -> list[dict]:
    """Each reviewed rule: reviewed, confirmed, false_positive and the false-positive share."""
    return [{**row, "false_positive_share": row["false_positive"] / row["reviewed"] if row["reviewed"] else None}
            for row in store.read("review/rule_precision")]


def signoffs(store: ReviewStore, month: str) -> list[dict]:
    return store.read("review/month_signoffs", {"month": month})


def summary(store: ReviewStore, home: Path, month: str, flags_path: Path | None, detailed: list[str] = (),
            version: str | None = None) -> dict:
    """The review as the reports show it (JSON-ready): progress, counts by rule, category and
    disposition, the standing decision of each `detailed` flag, the exceptions, each rule's
    precision and the month's sign-offs (of `version`, and of earlier versions)."""
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    with flag_states(store, home, month, flags_path) as con:
        counts = [{k: queries.plain(v) for k, v in row.items()}
                  for row in queries.rows(con, "review/state_counts")]
        wanted = list(dict.fromkeys(detailed))
        decided = {row["flag_id"]: row for row in state_rows(con, "flag_id IN (SELECT unnest(?))", [wanted])
                   if row["disposition"]} if wanted else {}
        [(gone,)] = con.execute("SELECT count(*) FROM flag_states WHERE NOT still_raised").fetchall()
        excepted = dict(con.execute("SELECT exception_id, count(*) FROM flag_states "
                                    "WHERE exception_id <> '' GROUP BY ALL").fetchall())
    total = sum(row["flags"] for row in counts)
    reviewed = sum(row["flags"] for row in counts if row["disposition"])
    by_disposition: dict[str, int] = {}
    for row in counts:
        if row["disposition"]:
            by_disposition[row["disposition"]] = by_disposition.get(row["disposition"], 0) + row["flags"]
    month_signoffs = signoffs(store, month)
    return {
        "total": total, "reviewed": reviewed, "open": total - reviewed, "by_disposition": by_disposition,
        "counts": counts,
        "decisions": decided,
        "no_longer_raised": gone,
        "exceptions": [{**x.as_dict(today), "flags": excepted.get(x.exception_id, 0)}
                       for x in list_exceptions(store)],
        "precision": precision(store),
        "signoff": next((s for s in month_signoffs if s["version"] == version), None),
        "earlier_signoffs": [s for s in month_signoffs if s["version"] != version],
    }


def month_review(store: ReviewStore, home: Path, month: str) -> dict:
    """Where the month's latest version stands: its version, progress and sign-off."""
    latest = versions.latest_version(versions.month_dir(Path(home), month))
    version = latest.name if latest else None
    result = summary(store, home, month, flags_file(latest) if latest else None, version=version)
    return {"version": version, **{k: result[k] for k in ("total", "reviewed", "open", "by_disposition", "signoff")}}
