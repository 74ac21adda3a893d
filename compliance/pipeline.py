"""The stages as plain functions: the CLI, the Airflow DAGs and the tests all call these.

Each takes explicit arguments (warehouse home, month, policy pack path) and opens the warehouse
only for as long as it needs it, since DuckDB allows one writer process per file.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from compliance import warehouse
from compliance.months import parse_month
from compliance.policy.pack import load_pack
from compliance.quality import late
from compliance.sources.canonical import ingest_landing as _ingest_landing
from compliance.sources.formats import format_named, ingest_each


def _log(con, run_id: str, step: str, month: str | None, started: dt.datetime, status: str,
         detail: dict) -> None:
    con.execute("INSERT INTO run_log VALUES (?, ?, ?, ?, current_timestamp, ?, ?)",
                [run_id, step, month, started, status, json.dumps(detail, sort_keys=True, default=str)])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _mark_late(con, results: list, tz: str) -> None:
    """Fill each new batch's `late_months`: reported months its rows bear on (quality/late.py)."""
    for result in results:
        if result.status in ("loaded", "replaced"):
            result.late_months = sorted({row["month"] for row in late.mark_late(con, [result.batch_id], tz)})


def _log_ingest(con, started: dt.datetime, results: list, detail: dict) -> None:
    """The ingest's run_log entry: status `refused` when some file was refused, each named with its
    reason in `detail.refused` (docs/operations.md)."""
    refused = [{"path": r.path, "reason": r.reason} for r in results if r.status == "refused"]
    _log(con, uuid.uuid4().hex, "ingest", None, started, "refused" if refused else "success",
         {**detail, "files": len(results), "changed": sum(r.status in ("loaded", "replaced") for r in results),
          "refused": refused})


def ingest_landing(home: Path, landing: Path, policy_path: Path | None = None,
                   source_tz: str | None = None, progress=None) -> list[dict]:
    """Load a canonical landing folder; one dict per file (see BatchResult): a file that cannot be
    loaded is `refused` with its reason, and the others are loaded all the same."""
    pack = load_pack(policy_path)
    started = _now()
    with warehouse.connect(Path(home)) as con:
        results = _ingest_landing(con, Path(landing), source_tz or pack.timezone, progress=progress)
        _mark_late(con, results, pack.timezone)
        _log_ingest(con, started, results, {"landing": str(landing)})
    return [r.as_dict() for r in results]


def ingest_files(home: Path, paths: list[Path], policy_path: Path | None = None,
                 source_tz: str | None = None, progress=None, format: str = "canonical",
                 source_name: str | None = None, log_line_prefix: str | None = None) -> list[dict]:
    """Load single files of one format (compliance/sources/formats.py), refused one by one like a
    landing's. Canonical files are named by their folder's table; database audit logs load into
    access_events as source `source_name` (default: the format's name); `mapping:NAME` reads real
    exports with mappings/NAME.yaml."""
    pack = load_pack(policy_path)
    source_format = format_named(format)
    started = _now()
    with warehouse.connect(Path(home)) as con:
        results = ingest_each(con, [Path(p) for p in paths], source_format, source_tz or pack.timezone,
                              source_name, log_line_prefix, progress)
        _mark_late(con, results, pack.timezone)
        _log_ingest(con, started, results, {"format": format})
    return [r.as_dict() for r in results]


def pull_live(home: Path, dsn: str, table: str | None = None, source_name: str | None = None,
              batch_size: int = 100_000, settle_seconds: float = 60, policy_path: Path | None = None,
              progress=None) -> list[dict]:
    """Pull new events from a live PostgreSQL audit table (compliance/sources/live_postgres.py);
    one dict per batch. The warehouse is open only while a batch is ingested."""
    from compliance.config import owner_only, resolve_home
    from compliance.sources import live_postgres

    home = resolve_home(home)
    pack = load_pack(policy_path)
    source = source_name or live_postgres.DEFAULT_SOURCE
    started = _now()
    with owner_only():  # the batch files under <home>/pulls/ are the pulled events themselves
        results = live_postgres.pull(lambda: warehouse.connect(home), home, dsn,
                                     table or live_postgres.DEFAULT_TABLE, source, batch_size, settle_seconds,
                                     pack.timezone)
    for index, result in enumerate(results, 1):
        if progress:
            progress(index, len(results), result)
    with warehouse.connect(home) as con:
        _mark_late(con, results, pack.timezone)
        _log(con, uuid.uuid4().hex, "pull", None, started, "success",
             {"source": source, "batches": len(results), "rows_loaded": sum(r.rows_loaded for r in results)})
    return [r.as_dict() for r in results]


def check_freshness(home: Path, policy_path: Path | None = None, now: dt.datetime | None = None) -> list[str]:
    """Landing tables that have sent no file for longer than their window (the pack's
    `freshness_hours`), as readable lines."""
    from compliance.quality.freshness import freshness_windows, stale_tables

    windows = freshness_windows(load_pack(policy_path))
    with warehouse.connect(Path(home)) as con:
        return stale_tables(con, windows, now or _now())


def months_to_rerun(home: Path) -> list[str]:
    """Reported months that files arrived for since (quality/late.py); re-run each."""
    with warehouse.connect(Path(home)) as con:
        return late.months_to_rerun(con)


def validate(home: Path, month: str, policy_path: Path | None = None) -> dict:
    """Run the Great Expectations suites on the month, bounded in the pack's time zone."""
    from compliance.quality.validate import validate_month

    parse_month(month)  # before anything is opened or written: the month keys all of it
    started = _now()
    result = validate_month(Path(home), month, tz=load_pack(policy_path).timezone)
    with warehouse.connect(Path(home)) as con:
        _log(con, uuid.uuid4().hex, "validate", month, started, "success",
             {"checks": len(result["results"]), "blocking_failures": result["blocking_failures"],
              "warnings": result["warnings"]})
    return result


def evaluate(home: Path, month: str, policy_path: Path | None = None) -> int:
    # Imported here: the rules bring in sqlglot, a third of a second an ingest does not need.
    from compliance.rules.engine import evaluate_month

    parse_month(month)
    pack = load_pack(policy_path)
    started = _now()
    seconds: dict[str, float] = {}
    with warehouse.connect(Path(home)) as con:
        count = evaluate_month(con, pack, month, seconds=seconds)
        _log(con, uuid.uuid4().hex, "evaluate", month, started, "success",
             {"flags": count, "rule_seconds": seconds})
    return count


def build_reports(home: Path, month: str, policy_path: Path | None = None, options=None):
    """The month's reports as a version under `<home>/reports/<month>/` (a `ReportSet`): a new
    version when anything they show changed, else the latest one. `options`: `ReportOptions`."""
    from compliance.reports.build import build_reports as build

    parse_month(month)
    started = _now()
    from compliance.review.state import summary
    from compliance.review.store import open_store

    with open_store(Path(home)) as store:
        # A re-run after a sign-off is a new version, which needs its own sign-off (docs/review.md).
        reports = build(Path(home), month, load_pack(policy_path), options,
                        review=lambda flags, detailed: summary(store, Path(home), month, flags, detailed),
                        keep_unchanged=not _latest_signed_off(store, home, month))
    with warehouse.connect(Path(home)) as con:
        late.record_report(con, month)
        _log(con, uuid.uuid4().hex, "report", month, started, "success",
             {"version": reports.version, "created": reports.created, "status": reports.status})
    return reports


def _review_store(home: Path):
    """The review store if the home has one (never created by a build), else None."""
    import contextlib

    from compliance.review.store import exists, open_store

    return open_store(Path(home)) if exists(Path(home)) else contextlib.nullcontext(None)


def _latest_signed_off(store, home: Path, month: str) -> bool:
    from compliance.reports import versions
    from compliance.review.signoff import signoff_of

    latest = versions.latest_version(versions.month_dir(Path(home), month))
    return latest is not None and signoff_of(store, home, month, latest.name) is not None


def signed_off(home: Path, month: str, version: str) -> dict | None:
    """The sign-off of the month's report `version`, or None while it awaits one; a month whose
    committee summary is withheld (INCOMPLETE, NO DATA) needs none before its IG note goes out."""
    from compliance.review.signoff import signoff_of

    with _review_store(home) as store:
        found = signoff_of(store, home, month, version) if store is not None else None
    return found.__dict__ if found else None


def sign_off(home: Path, month: str, *, by: str, note: str = "", version: str | None = None) -> dict:
    """An approver signs off the month's latest report version (compliance/review/signoff.py)."""
    from compliance.review.signoff import sign_off as sign
    from compliance.review.store import open_store

    parse_month(month)
    with open_store(Path(home)) as store:
        return sign(store, Path(home), month, by=by, note=note, version=version).__dict__


def report(home: Path, month: str, policy_path: Path | None = None, options=None) -> Path:
    """Build the month's reports (see `build_reports`); the IG report's HTML path."""
    return build_reports(home, month, policy_path, options).ig_html


def run_month(home: Path, month: str, policy_path: Path | None = None, options=None,
              progress=None) -> dict:
    """Validate, evaluate and report one month. `progress(stage, seconds, outcome)`, when given,
    hears of each stage as it ends (a city-scale month takes minutes)."""
    def timed(stage: str, work, outcome):
        started = dt.datetime.now()
        result = work()
        if progress:
            progress(stage, (dt.datetime.now() - started).total_seconds(), outcome(result))
        return result

    validation = timed("validate", lambda: validate(home, month, policy_path),
                       lambda r: f"{r['blocking_failures']} blocking failures, {r['warnings']} warnings")
    flags = timed("evaluate", lambda: evaluate(home, month, policy_path), lambda n: f"{n} flags")
    reports = timed("report", lambda: build_reports(home, month, policy_path, options),
                    lambda r: f"{r.version} ({'new' if r.created else 'unchanged, kept'})")
    return {"month": month, "flags": flags, "blocking_failures": validation["blocking_failures"],
            "status": reports.status, "incomplete": reports.incomplete,
            "missing_sources": list(reports.missing_sources), "report": str(reports.ig_html),
            "report_version": reports.version, "new_report_version": reports.created,
            "reports": {key: str(path) for key, path in reports.files.items()}}


def deliver(home: Path, month: str, *, committee_to: list[str], ig_to: list[str],
            smtp_conn_id: str, version: str | None = None) -> dict:
    """E-mail the month's committee summary (PDF attached) and a short note to IG staff through
    Airflow's SMTP provider; an INCOMPLETE month is not sent to the committee. Reads only the
    report folder, never the warehouse."""
    from compliance.delivery.mail import deliver_reports

    parse_month(month)
    return deliver_reports(Path(home), month, committee_to=committee_to, ig_to=ig_to,
                           smtp_conn_id=smtp_conn_id, version=version)
