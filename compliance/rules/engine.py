"""Running the rules of the catalog (`compliance.rules.catalog`) over a month.

A rule's SQL selects flag rows for one month (`$month_start`, `$month_end`) from the canonical
tables, the policy tables and the shared views in `sql/views/`; this module adds the stable flag
id, the rule's content hash and the metadata, and replaces the month's flags.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import duckdb

from compliance.errors import ComplianceError
from compliance.months import month_bounds
from compliance.policy.pack import PolicyPack
from compliance.rules.catalog import Rule, load_rules
from compliance.rules.views import install_views

RULE_OUTPUT = ("subject_type", "subject_id", "account_id", "person_id", "event_ts", "window_start",
               "summary", "evidence")


def flag_id(rule_id: str, subject_type: str, subject_id: str, window_start: str | None) -> str:
    key = "|".join([rule_id, subject_type, subject_id, window_start or ""])
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def run_rule(con: duckdb.DuckDBPyConnection, rule: Rule, month: str, tz: str) -> list[tuple]:
    start, end = month_bounds(month, tz)
    try:
        cursor = con.execute(rule.sql, {"month_start": start, "month_end": end})
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        raise ComplianceError(f"rule failed: {str(exc).splitlines()[0]}",
                              path=f"sql/rules/{rule.rule_id}.sql") from None
    if tuple(names) != RULE_OUTPUT:
        raise ComplianceError(f"rule must select {', '.join(RULE_OUTPUT)}; it selects {', '.join(names)}",
                              path=f"sql/rules/{rule.rule_id}.sql")
    return rows


def evaluate_month(con: duckdb.DuckDBPyConnection, pack: PolicyPack, month: str,
                   rules: list[Rule] | None = None) -> int:
    """Replace the month's flags with what every rule finds now; return the number of flags."""
    rules = load_rules() if rules is None else rules
    install_views(con, pack)
    tz = pack.timezone
    flags = []
    for rule in rules:
        if rule.meta.get("status") == "deprecated":
            continue
        for subject_type, subject_id, account_id, person_id, event_ts, window_start, summary, evidence in \
                run_rule(con, rule, month, tz):
            window = window_start.isoformat() if window_start is not None else None
            flags.append((
                flag_id(rule.rule_id, subject_type, str(subject_id), window), rule.rule_id, rule.version,
                rule.category, rule.severity, month, subject_type, str(subject_id), account_id,
                person_id, event_ts, summary, evidence))
    con.execute("BEGIN")
    con.execute("DELETE FROM flags WHERE month = ?", [month])
    if flags:
        con.executemany("INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", flags)
    con.execute("COMMIT")
    return len(flags)


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
