"""The month's flags as CSV and Parquet: every flag, the same columns in both.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a line
break) get a leading apostrophe: flag summaries and evidence quote log text such as SQL statements
and search terms, which an attacker can shape. Parquet keeps the values as they are (typed columns
are not evaluated by anything).
"""
from __future__ import annotations

import csv
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


def _csv_cell(column: str) -> str:
    """SQL for `column` as CSV text, neutralised like `neutralise` (timestamps in UTC ISO 8601, as
    in the report data); an empty value becomes NULL, written as an empty field as Python's csv
    module writes it."""
    text = f"iso_utc({column})" if column == "event_ts" else f"CAST({column} AS VARCHAR)"
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)
    return f"nullif(CASE WHEN left({text}, 1) IN ({starts}) THEN chr(39) || {text} ELSE {text} END, '')"


def write_flags_exports(con: duckdb.DuckDBPyConnection, month: str, tz: str, parquet: Path,
                        csv_path: Path) -> None:
    """Every flag of the month as Parquet (values as they are) and as CSV (neutralised), streamed
    by DuckDB: no flag passes through Python, however many there are. The CSV is read back from
    the Parquet file, so the two carry the same rows. Needs the `iso_utc` macro
    (sql/views/00_macros.sql)."""
    queries.relation(con, "reports/flags_month", {"month": month, "tz": tz, "per_rule": None}) \
        .write_parquet(str(parquet))
    cells = ", ".join(f"{_csv_cell(c)} AS {queries.ident(c)}" for c in FLAG_EXPORT_COLUMNS)
    con.sql(f"SELECT {cells} FROM read_parquet({queries.literal(str(parquet))})") \
        .write_csv(str(csv_path), header=True)
