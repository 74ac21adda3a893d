"""The month's flags as CSV and Parquet: every flag, the same columns in both.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a line
break) get a leading apostrophe: flag summaries and evidence quote log text such as SQL statements
and search terms, which an attacker can shape. Parquet keeps the values as they are (typed columns
are not evaluated by anything).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from compliance import queries

FLAG_EXPORT_COLUMNS = ("flag_id", "rule_id", "rule_version", "category", "severity", "month",
                       "subject_type", "subject_id", "account_id", "person_id", "event_ts",
                       "event_local", "summary", "policy_citation", "source_lines", "evidence")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise(row.get(column)) for column in columns])
    return path


def write_flags_csv(flags: list[dict], path: Path) -> Path:
    rows = [{**flag, "evidence": json.dumps(flag["evidence"], sort_keys=True, ensure_ascii=False)}
            for flag in flags]
    return write_csv(path, FLAG_EXPORT_COLUMNS, rows)


def write_flags_parquet(con: duckdb.DuckDBPyConnection, month: str, tz: str, path: Path) -> Path:
    queries.relation(con, "reports/flags_month", {"month": month, "tz": tz}).write_parquet(str(path))
    return path
