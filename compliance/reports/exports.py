"""The month's flags as CSV and Parquet: every flag, the same columns in both, with their exact
values; the CSV adds `visible_text`, for a reader.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a line
break) get a leading apostrophe: flag summaries and evidence quote log text such as SQL statements
and search terms, which an attacker can shape. Parquet keeps the values as they are (typed columns
are not evaluated by anything). A spreadsheet shows a bidi override or a control character as
it is, so `visible_text` repeats the flag's subject, account, person and summary with those
written as `<U+XXXX>`, as the reports show them (compliance/display.py).
"""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from compliance import queries
from compliance.display import ESCAPED_RANGES

FLAG_EXPORT_COLUMNS = ("flag_id", "rule_id", "rule_version", "category", "severity", "month",
                       "subject_type", "subject_id", "account_id", "person_id", "event_ts",
                       "event_local", "summary", "policy_citation", "source_lines", "evidence")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
VISIBLE_TEXT = ("concat_ws(' · ', subject_type || ' ' || subject_id, 'account ' || account_id, "
                "'person ' || person_id, summary)")


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
    return _neutralised(f"iso_utc({column})" if column == "event_ts" else f"CAST({column} AS VARCHAR)")


def _neutralised(text: str) -> str:
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)
    return f"nullif(CASE WHEN left({text}, 1) IN ({starts}) THEN chr(39) || {text} ELSE {text} END, '')"


def _escaped_class() -> str:
    """ESCAPED_RANGES as a character class of DuckDB's regular expressions (RE2). DuckDB text is
    valid UTF-8, so it holds no surrogate to match."""
    return "[" + "".join(f"\\x{{{first:X}}}-\\x{{{last:X}}}" for first, last in ESCAPED_RANGES
                         if last < 0xD800 or first > 0xDFFF) + "]"


def visible_sql(text: str) -> str:
    """SQL for the text expression `text` as `compliance.display.visible` writes it: split into
    runs of other characters and single escaped ones, each of those written as `<U+XXXX>`."""
    escaped = _escaped_class()
    runs = f"{escaped}|[^{escaped[1:]}+"
    return (f"CASE WHEN regexp_matches({text}, {queries.literal(escaped)}) THEN array_to_string("
            f"list_transform(regexp_extract_all({text}, {queries.literal(runs)}), lambda run: "
            f"CASE WHEN regexp_full_match(run, {queries.literal(escaped)}) "
            f"THEN printf('<U+%04X>', unicode(run)) ELSE run END), '') ELSE {text} END")


def write_flags_exports(con: duckdb.DuckDBPyConnection, month: str, tz: str, parquet: Path,
                        csv_path: Path) -> None:
    """Every flag of the month as Parquet (values as they are) and as CSV (neutralised, plus
    `visible_text`), streamed by DuckDB: no flag passes through Python, however many there are.
    The CSV is read back from the Parquet file, so the two carry the same rows. Needs the
    `iso_utc` macro (sql/views/00_macros.sql)."""
    queries.relation(con, "reports/flags_month", {"month": month, "tz": tz, "per_rule": None}) \
        .write_parquet(str(parquet))
    cells = ", ".join(f"{_csv_cell(c)} AS {queries.ident(c)}" for c in FLAG_EXPORT_COLUMNS)
    con.sql(f"SELECT {cells}, {_neutralised('visible_text')} AS visible_text FROM (SELECT *, "
            f"{visible_sql(VISIBLE_TEXT)} AS visible_text FROM read_parquet({queries.literal(str(parquet))}))") \
        .write_csv(str(csv_path), header=True)
