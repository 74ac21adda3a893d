"""Validate one month of the warehouse against the suites in expectations/*.json (GX on DuckDB).

Suite format (ours, reviewed in git; not GX's serialized suite), one file per suite:

    {"table": "access_events",
     "rows": "month",                                       # optional: "month" or "all"
     "description": "...",                                  # optional
     "expectations": [
        {"name": "event_id_not_null",                       # unique in the suite, [a-z0-9_]
         "type": "expect_column_values_to_not_be_null",     # a GX 1.x expectation type
         "kwargs": {"column": "event_id"},                  # its GX arguments
         "blocking": true,                                  # structural: the month is INCOMPLETE
         "why": "..."}]}                                    # the reason, shown in reports

The suite's name is the file's stem. A suite checks the month's rows of its table (by the
table's main timestamp) or, with "rows": "all", the whole table every month (registers such as
accounts, and tables without a main timestamp). Only structural checks may block; allowed-value checks are
warnings by rule (docs/data-contract.md, "Tables":
a value outside an allowed set is a finding, not a quality failure).

GX is imported only when a month is validated (see gx_duckdb); loading suites is cheap.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from compliance import months, warehouse
from compliance.config import EXPECTATIONS_DIR, warehouse_path
from compliance.contract import LANDING_TABLES, MAIN_TIMESTAMP
from compliance.errors import ComplianceError


# Expectation types that judge a value against an allowed set: never blocking.
VALUE_SET_TYPES = frozenset({
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_distinct_values_to_be_in_set",
    "expect_column_distinct_values_to_contain_set",
    "expect_column_distinct_values_to_equal_set",
    "expect_column_most_common_value_to_be_in_set",
})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ROW_SCOPES = ("month", "all")


@dataclass(frozen=True)
class Check:
    name: str
    type: str
    kwargs: dict
    blocking: bool
    why: str


@dataclass(frozen=True)
class Suite:
    name: str
    table: str
    path: Path
    description: str
    checks: tuple[Check, ...]
    rows: str = "month"  # "month": the month's rows by the main timestamp; "all": the whole table


# ------------------------------------------------------------------------------------ suites
def load_suite(path: Path) -> Suite:
    """Read and check one suite file (no GX import). Raises ComplianceError naming file and field."""
    path = Path(path)
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ComplianceError(f"cannot read suite: {exc}", path=where) from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ComplianceError('a suite is an object with "table" and a list "expectations"', path=where)
    unknown = set(data) - {"table", "rows", "description", "expectations"}
    if unknown:
        raise ComplianceError(f"unknown suite keys {sorted(unknown)}", path=where)
    table = data.get("table")
    if table not in LANDING_TABLES:
        raise ComplianceError(f"table {table!r} is not a landing table", path=where, field="table")
    scopes = ROW_SCOPES if MAIN_TIMESTAMP.get(table) else ("all",)  # no main timestamp, no month
    rows = data.get("rows", scopes[0])
    if rows not in scopes:
        raise ComplianceError(f"rows must be one of {', '.join(scopes)} for {table}", path=where,
                              field="rows")
    checks: list[Check] = []
    seen: set[str] = set()
    for index, item in enumerate(data["expectations"]):
        label = item.get("name") if isinstance(item, dict) else None
        field = f"expectations[{index}]" + (f" ({label})" if label else "")
        if not isinstance(item, dict):
            raise ComplianceError("an expectation is an object", path=where, field=field)
        unknown = set(item) - {"name", "type", "kwargs", "blocking", "why"}
        if unknown:
            raise ComplianceError(f"unknown keys {sorted(unknown)}", path=where, field=field)
        name, kind, kwargs = item.get("name"), item.get("type"), item.get("kwargs", {})
        blocking, why = item.get("blocking"), item.get("why")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ComplianceError("name must match [a-z][a-z0-9_]*", path=where, field=field)
        if name in seen:
            raise ComplianceError(f"duplicate expectation name {name!r}", path=where, field=field)
        seen.add(name)
        if not isinstance(kind, str) or not (kind.startswith("expect_") or kind == "unexpected_rows_expectation"):
            raise ComplianceError("type must be a GX expectation type (expect_...)", path=where, field=field)
        if "regex" in kind:
            raise ComplianceError(
                "GX regex expectations are not supported on DuckDB's dialect "
                "(NotImplementedError); use unexpected_rows_expectation with regexp_matches()",
                path=where, field=field)
        if not isinstance(kwargs, dict):
            raise ComplianceError("kwargs must be an object", path=where, field=field)
        if not isinstance(blocking, bool):
            raise ComplianceError("blocking must be true or false", path=where, field=field)
        if blocking and kind in VALUE_SET_TYPES:
            raise ComplianceError(
                "an allowed-value check cannot block: a value outside an allowed set is a "
                "finding the rules judge, not a quality failure (docs/data-contract.md)", path=where, field=field)
        if not isinstance(why, str) or not why.strip():
            raise ComplianceError("why must say what the check protects", path=where, field=field)
        checks.append(Check(name, kind, kwargs, blocking, why.strip()))
    return Suite(path.stem, table, path, str(data.get("description", "")), tuple(checks), rows)


def load_suites(directory: Path | None = None) -> list[Suite]:
    """Every `*.json` suite under `directory` (default: expectations/), sorted by name."""
    directory = Path(directory) if directory is not None else EXPECTATIONS_DIR
    suites = [load_suite(p) for p in sorted(directory.glob("*.json"))]
    if not suites:
        raise ComplianceError("no expectation suites found", path=str(directory))
    return suites


def build_expectations(suite: Suite) -> list:
    """GX expectation objects for a suite (imports GX)."""
    from compliance.quality.gx_duckdb import quiet_gx

    quiet_gx()  # before GX's first import: no analytics, no INFO chatter
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    built = []
    for check in suite.checks:
        try:
            config = ExpectationConfiguration(type=check.type, kwargs=dict(check.kwargs),
                                              meta={"name": check.name, "blocking": check.blocking})
            built.append(config.to_domain_obj())
        except Exception as exc:  # unknown type, bad kwargs: GX raises many kinds
            raise ComplianceError(f"GX rejects this expectation: {exc}".splitlines()[0],
                                  path=str(suite.path), field=check.name) from None
    return built


def _batch_query(table: str, column: str | None, column_type: str | None,
                 start: datetime, end: datetime) -> str:
    """SQL selecting the month's rows (computed inside DuckDB), plus rows with no main timestamp.

    Rows with a null main timestamp belong to no month; they are included in every month so
    that the blocking not-null check on that column can see them (otherwise it could never fail).
    """
    if column is None:
        return f'SELECT * FROM "{table}"'  # the whole table, every month
    if column_type == "DATE":
        low, high = f"DATE '{start.date().isoformat()}'", f"DATE '{end.date().isoformat()}'"
    elif column_type == "TIMESTAMP WITH TIME ZONE":
        fmt = "%Y-%m-%d %H:%M:%S+00"
        low = f"TIMESTAMPTZ '{start.astimezone(timezone.utc).strftime(fmt)}'"
        high = f"TIMESTAMPTZ '{end.astimezone(timezone.utc).strftime(fmt)}'"
    elif column_type == "TIMESTAMP":  # naive: read as local wall time
        low, high = (f"TIMESTAMP '{start.strftime('%Y-%m-%d %H:%M:%S')}'",
                     f"TIMESTAMP '{end.strftime('%Y-%m-%d %H:%M:%S')}'")
    else:
        raise ComplianceError(f"main timestamp {table}.{column} has unsupported type {column_type}")
    return (f'SELECT * FROM "{table}" WHERE ("{column}" >= {low} AND "{column}" < {high}) '
            f'OR "{column}" IS NULL')


def _column_types(home: Path, suites: list[Suite]) -> dict[tuple[str, str], str]:
    with warehouse.connect(home) as con:  # a writer: applies pending migrations first
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main'").fetchall()
    types = {(t, c): d for t, c, d in rows}
    tables = {t for t, _ in types}
    for suite in suites:
        if suite.table not in tables:
            raise ComplianceError(f"table {suite.table} is missing from the warehouse",
                                  path=str(suite.path))
    return types


def _details(check: Check, observed) -> str:
    return json.dumps({"type": check.type, "kwargs": check.kwargs, "why": check.why,
                       "result": observed.details}, sort_keys=True, default=str)


def validate_month(home: Path, month: str, *, expectations_dir: Path | None = None,
                   tz: str) -> dict:
    """Validate `month` (YYYY-MM in `tz`) of every suite's table; replace its validation_runs rows.

    Opens the warehouse itself (the caller must not hold a connection to it in this process).
    Returns {"month", "blocking_failures", "warnings", "results": [one dict per expectation with
    table_name, suite, expectation, blocking, success, observed, details (parsed)]}.
    Raises ComplianceError if GX could not compute an expectation (no observed value): such a
    result is neither a pass nor a finding.
    """
    home = Path(home)
    start, end = months.month_bounds(month, tz)
    suites = load_suites(expectations_dir)
    path = warehouse_path(home)
    if not path.exists():
        raise ComplianceError("no warehouse yet: run `compliance ingest` first", path=str(path))
    types = _column_types(home, suites)
    built = {suite.name: build_expectations(suite) for suite in suites}

    from compliance.quality.gx_duckdb import duckdb_datasource, observation, validate_query

    rows: list[tuple] = []
    with duckdb_datasource(path, read_only=True) as (context, datasource):
        for suite in suites:
            column = MAIN_TIMESTAMP.get(suite.table) if suite.rows == "month" else None
            query = _batch_query(suite.table, column, types.get((suite.table, column)), start, end)
            asset = f"{suite.name}__{month.replace('-', '_')}"
            results = validate_query(context, datasource, asset, query, built[suite.name],
                                     suite_name=asset)
            by_name = {}
            for result in results:  # GX does not keep the suite's order: match on meta.name
                name = ((result.get("expectation_config") or {}).get("meta") or {}).get("name")
                by_name[name] = result
            if len(results) != len(suite.checks) or set(by_name) != {c.name for c in suite.checks}:
                raise ComplianceError(f"GX returned results for {sorted(map(str, by_name))}, "
                                      "not for the suite's expectations", path=str(suite.path))
            for check in suite.checks:
                result = by_name[check.name]
                observed = observation(result, label=f"{suite.name}.{check.name}, month {month}")
                rows.append((month, suite.table, suite.name, check.name, check.blocking,
                             observed.success, observed.observed, _details(check, observed)))

    with warehouse.connect(home) as con:
        con.execute("BEGIN")
        con.execute("DELETE FROM validation_runs WHERE month = ?", [month])
        if rows:
            con.executemany("INSERT INTO validation_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")

    results = [{"table_name": r[1], "suite": r[2], "expectation": r[3], "blocking": r[4],
                "success": r[5], "observed": r[6], "details": json.loads(r[7])} for r in rows]
    return {
        "month": month,
        "blocking_failures": sum(1 for r in results if r["blocking"] and not r["success"]),
        "warnings": sum(1 for r in results if not r["blocking"] and not r["success"]),
        "results": results,
    }
