"""Running the rules of the catalog (`compliance.rules.catalog`) over a month.

A rule's SQL selects flag rows for one month (`$month_start`, `$month_end`) from the canonical
tables, the policy tables and the shared views in `sql/views/`; this module adds the stable flag
id (the `flag_id` macro, sql/views/00_macros.sql), the rule's content hash and the metadata, and
replaces the month's flags, all inside DuckDB; the month's new flag set joins the evidence chain
(compliance/evidence.py) in the same transaction.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Iterator

import duckdb

from compliance import evidence, warehouse
from compliance.errors import ComplianceError
from compliance.queries import literal
from compliance.months import month_bounds
from compliance.policy.pack import PolicyPack
from compliance.rules.catalog import Rule, load_rules, pack_exemption_problems
from compliance.rules.views import install_views, scope_local_time

RULE_OUTPUT = ("subject_type", "subject_id", "account_id", "person_id", "event_ts", "window_start",
               "summary", "evidence")


def rule_query(rule: Rule) -> str:
    """The rule's SQL with the pack's exemptions kept apart from it, as Sigma keeps filters apart
    from rules: a flag on an account the pack exempts from this rule (`service_accounts[].exempt_from`,
    sql/views/55_service_accounts.sql) is not raised."""
    return f"""
        SELECT found.* FROM ({rule.sql}) found
        WHERE found.account_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM service_account_terms exempt
            WHERE exempt.account_id = found.account_id
              AND list_contains(exempt.exempt_from, {literal(rule.rule_id)}))"""


def run_rule(con: duckdb.DuckDBPyConnection, rule: Rule, month: str, tz: str) -> list[tuple]:
    start, end = month_bounds(month, tz)
    output_columns(con, rule, start, end)
    try:
        return con.execute(rule_query(rule), {"month_start": start, "month_end": end}).fetchall()
    except duckdb.Error as exc:
        raise ComplianceError(f"rule failed: {str(exc).splitlines()[0]}",
                              path=f"sql/rules/{rule.rule_id}.sql") from None


def output_columns(con: duckdb.DuckDBPyConnection, rule: Rule, start, end) -> None:
    """Refuse a rule whose SQL does not select RULE_OUTPUT, naming its file."""
    try:
        cursor = con.execute(f"SELECT * FROM ({rule.sql}) LIMIT 0", {"month_start": start, "month_end": end})
    except duckdb.Error as exc:
        raise ComplianceError(f"rule failed: {str(exc).splitlines()[0]}",
                              path=f"sql/rules/{rule.rule_id}.sql") from None
    names = tuple(d[0] for d in cursor.description)
    if names != RULE_OUTPUT:
        raise ComplianceError(f"rule must select {', '.join(RULE_OUTPUT)}; it selects {', '.join(names)}",
                              path=f"sql/rules/{rule.rule_id}.sql")


def insert_flags(con: duckdb.DuckDBPyConnection, rule: Rule, month: str, start, end) -> int:
    """Insert what the rule finds in the month as flags, inside DuckDB (no row passes through
    Python, whatever the count); the number inserted."""
    output_columns(con, rule, start, end)
    # The rule's own SQL takes named parameters, so its metadata goes in as literals.
    rule_id, version, category, severity = (literal(v) for v in (rule.rule_id, rule.version,
                                                                    rule.category, rule.severity))
    try:
        [(count,)] = con.execute(f"""
            INSERT INTO flags
            SELECT flag_id({rule_id}, subject_type, CAST(subject_id AS VARCHAR), window_start),
                   {rule_id}, {version}, {category}, {severity}, {literal(month)}, subject_type,
                   CAST(subject_id AS VARCHAR), account_id, person_id, event_ts, summary, evidence
            FROM ({rule_query(rule)}) found""", {"month_start": start, "month_end": end}).fetchall()
    except duckdb.Error as exc:
        raise ComplianceError(f"rule failed: {str(exc).splitlines()[0]}",
                              path=f"sql/rules/{rule.rule_id}.sql") from None
    return count


# How far beyond the month the access rules look: their windows are minutes long, and a burst
# that starts in the month is followed this far; volume_spike's baseline adds its own days before.
SCOPE_AFTER = dt.timedelta(days=7)
SCOPE_BEFORE_BEYOND_BASELINE = dt.timedelta(days=2)


def scope_access(con: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime) -> None:
    """Narrow the access events the month's rules see (`evaluation_events`, under
    `access_enriched`) to the month, the volume baseline's days before it and a week after, so that
    no rule reads the warehouse's whole history; their local times are reckoned without a zone
    lookup per event (`scope_local_time`)."""
    [(baseline_days,)] = con.execute("SELECT CAST(threshold('volume_spike', 'baseline_days') AS INTEGER)").fetchall()
    low = start - dt.timedelta(days=baseline_days or 0) - SCOPE_BEFORE_BEYOND_BASELINE
    high = end + SCOPE_AFTER
    con.execute(f"""CREATE OR REPLACE TEMP VIEW evaluation_events AS SELECT * FROM access_events
                    WHERE event_ts >= {literal(low.isoformat())}::TIMESTAMPTZ
                      AND event_ts < {literal(high.isoformat())}::TIMESTAMPTZ""")
    scope_local_time(con, low, high)


# Views of sql/views/60_access_enriched.sql that every access rule reads, small next to the month
# and costly to recompute: the records repeating a statement (a window over every database-log
# record) and each distinct statement's parsed facts (a hash of every statement's text).
COMPUTED_ONCE = ("repeated_statement_records", "evaluation_statements")


@contextlib.contextmanager
def computed_once(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Each of COMPUTED_ONCE as a temp table under its own name while the month's rules run, so
    that it is computed once rather than inside every rule that reads it; afterwards the views are
    back and read live data again."""
    restore = []

    def restore_views() -> None:
        for view, view_sql in reversed(restore):
            con.execute(f"DROP VIEW {view}")
            con.execute(view_sql)
            con.execute(f"DROP TABLE {view}_computed")
    try:
        for view in COMPUTED_ONCE:
            [(view_sql,)] = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ? AND temporary",
                                        [view]).fetchall()
            con.execute(f"CREATE OR REPLACE TEMP TABLE {view}_computed AS SELECT * FROM {view}")
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {view}_computed")
            restore.append((view, view_sql))
        yield
    except BaseException:
        # After a failure (a full disk invalidates the database) the failure is what to report.
        with contextlib.suppress(duckdb.Error):
            restore_views()
        raise
    restore_views()


def evaluate_month(con: duckdb.DuckDBPyConnection, pack: PolicyPack, month: str,
                   rules: list[Rule] | None = None, seconds: dict[str, float] | None = None) -> int:
    """Replace the month's flags with what every rule finds now, in one transaction; return the
    number of flags. `seconds`, when given, receives each rule's time."""
    catalog = load_rules()
    rules = catalog if rules is None else rules
    # Against the whole catalog: a run of some rules may meet an exemption from another.
    problems = pack_exemption_problems(pack.data, catalog)
    if problems:
        raise ComplianceError(problems[0], path=str(pack.path))
    install_views(con, pack)
    start, end = month_bounds(month, pack.timezone)
    scope_access(con, start, end)
    total = 0
    with computed_once(con):
        con.execute("BEGIN")
        try:
            con.execute("DELETE FROM flags WHERE month = ?", [month])
            for rule in rules:
                if rule.meta.get("status") == "deprecated":
                    continue
                started = time.perf_counter()
                total += insert_flags(con, rule, month, start, end)
                if seconds is not None:
                    seconds[rule.rule_id] = round(time.perf_counter() - started, 3)
            evidence.record_flags(con, month)
            con.execute("COMMIT")
        except BaseException:
            warehouse.abandon(con)
            raise
    return total


def expand_sample_rows(rows: list[dict]) -> list[dict]:
    """A row with `_repeat: N` stands for N rows: `{n}` in its text values becomes 1..N and the
    timestamp named by `_step_field` advances by `_step_seconds` each time (for window rules)."""
    expanded = []
    for row in rows:
        count = int(row.get("_repeat", 1))
        field_name, step = row.get("_step_field"), int(row.get("_step_seconds", 0))
        base = {k: v for k, v in row.items() if not k.startswith("_")}
        for n in range(1, count + 1):
            copy = {k: (v.replace("{n}", str(n)) if isinstance(v, str) else v) for k, v in base.items()}
            if field_name:
                start = dt.datetime.fromisoformat(str(base[field_name]))
                copy[field_name] = (start + dt.timedelta(seconds=step * (n - 1))).isoformat()
            expanded.append(copy)
    return expanded


def load_sample(con: duckdb.DuckDBPyConnection, tables: dict) -> None:
    """Insert a rule sample's rows (values as text, cast by the warehouse schema)."""
    for table, rows in tables.items():
        for index, row in enumerate(expand_sample_rows(rows), 1):
            values = {k: (None if v == "" else v) for k, v in row.items()}
            values.update(batch_id="sample", source_line=index)
            columns = ", ".join(f'"{c}"' for c in values)
            marks = ", ".join("?" for _ in values)
            con.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(values.values()))


def sample_flags(rule: Rule, sample: dict, pack: PolicyPack) -> list[str]:
    """Subject ids the rule flags on one of its own samples, in an in-memory warehouse."""
    from compliance.sources.canonical import CANONICAL
    from compliance.sources.statements import stage_statements
    from compliance.warehouse import memory

    con = memory()
    try:
        load_sample(con, sample["tables"])
        # Sample rows are canonical rows that skip ingest, where statements are analysed.
        stage_statements(con, "access_events", CANONICAL.dialect)
        install_views(con, pack)
        return sorted(str(row[1]) for row in run_rule(con, rule, str(sample["month"]), pack.timezone))
    finally:
        con.close()
