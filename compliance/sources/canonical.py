"""Load canonical landing files (DESIGN.md, "Landing tables") into the warehouse.

A landing folder holds `<table>/*.csv` and `<table>/*.jsonl`. Every record of a file ends up in
exactly one place: the table (loaded), `quarantine` (with line, field and reason), or the count of
ignored records (blank JSONL lines); `batches` records the three counts, which add up to rows read.
Files are read by DuckDB; Python never loops over records.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from compliance.contract import ID_COLUMN, LANDING_TABLES, PROVENANCE_COLUMNS
from compliance.errors import ComplianceError

SUFFIXES = (".csv", ".jsonl")
# The 10 MB fields of real exports must load (DuckDB's default line limit is 2 MB; STACK_NOTES).
MAX_LINE_SIZE = 64 * 1024 * 1024


@dataclass
class BatchResult:
    batch_id: str
    table: str
    path: str
    status: str  # loaded, replaced or unchanged
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_ignored: int = 0
    ignored_reasons: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_files(landing: Path) -> list[tuple[str, Path]]:
    """(table, file) pairs of a canonical landing folder, in a stable order."""
    if not landing.is_dir():
        raise ComplianceError("landing folder not found", path=str(landing))
    found = []
    for table in LANDING_TABLES:
        folder = landing / table
        if folder.is_dir():
            found += [(table, p) for p in sorted(folder.iterdir()) if p.suffix in SUFFIXES]
    unknown = sorted(p.name for p in landing.iterdir() if p.is_dir() and p.name not in LANDING_TABLES)
    if unknown:
        raise ComplianceError(
            f"folder {unknown[0]!r} is not a landing table (expected one of: {', '.join(LANDING_TABLES)})",
            path=str(landing))
    return found


def table_for(path: Path) -> str:
    """The landing table a single file belongs to: its parent folder's name."""
    table = path.parent.name
    if table not in LANDING_TABLES:
        raise ComplianceError(
            f"cannot tell the table: put the file in a folder named after its table "
            f"({', '.join(LANDING_TABLES)})", path=str(path))
    return table


def _csv_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise ComplianceError("empty file: no header row", path=str(path), line=1)
    return [name.strip() for name in next(csv.reader(io.StringIO(first)))]


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Stage a CSV as `raw_records(line_no, raw, <header columns> VARCHAR)` plus `raw_rejects`."""
    header = _csv_header(path)
    columns = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in header) + "}"
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_read AS
        SELECT * FROM read_csv({_sql_str(str(path))}, header = true, auto_detect = false,
            columns = {columns}, delim = ',', quote = '"', escape = '"',
            store_rejects = true, strict_mode = true, max_line_size = {MAX_LINE_SIZE},
            encoding = 'utf-8')""")
    # DuckDB numbers records (not physical lines) in reject_errors: header = 1, first record = 2.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE raw_rejects AS
        SELECT line - 1 AS rec, any_value(csv_line) AS raw,
               arg_min(coalesce(column_name, ''), column_idx) AS field,
               arg_min(error_type, column_idx) AS reason, arg_min(error_message, column_idx) AS message
        FROM reject_errors GROUP BY line""")
    record_fields = ", ".join(f"{_ident(c)} := n.{_ident(c)}" for c in header)
    newline_count = " + ".join(
        f"coalesce(length({_ident(c)}) - length(replace({_ident(c)}, chr(10), '')), 0)" for c in header)
    # Physical line of a record = 1 (header) + its record number + newlines inside earlier records.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_records AS
        WITH accepted AS (
            SELECT rowid - (SELECT min(rowid) FROM raw_read) + 1 AS k, {newline_count} AS nl, * FROM raw_read),
        total AS (SELECT (SELECT count(*) FROM accepted) + (SELECT count(*) FROM raw_rejects) AS n),
        free_slots AS (
            SELECT s AS rec, row_number() OVER (ORDER BY s) AS k
            FROM range(1, (SELECT n FROM total) + 1) r(s)
            WHERE s NOT IN (SELECT rec FROM raw_rejects)),
        numbered AS (
            SELECT f.rec, a.* EXCLUDE (k) FROM accepted a JOIN free_slots f USING (k)),
        all_records AS (
            SELECT rec, nl FROM numbered
            UNION ALL
            SELECT rec, length(raw) - length(replace(raw, chr(10), '')) FROM raw_rejects),
        lines AS (
            SELECT rec, 1 + rec + coalesce(sum(nl) OVER (ORDER BY rec ROWS BETWEEN UNBOUNDED PRECEDING
                                                         AND 1 PRECEDING), 0) AS line_no
            FROM all_records)
        SELECT l.line_no, NULL::VARCHAR AS state, NULL::VARCHAR AS reject_field,
               NULL::VARCHAR AS reject_reason, NULL::VARCHAR AS ignore_reason,
               to_json(struct_pack({record_fields}))::VARCHAR AS raw, n.* EXCLUDE (rec, nl)
        FROM numbered n JOIN lines l USING (rec)
        UNION ALL BY NAME
        SELECT l.line_no, 'reject' AS state, nullif(r.field, '') AS reject_field,
               r.reason || ': ' || r.message AS reject_reason, r.raw
        FROM raw_rejects r JOIN lines l USING (rec)
    """)
    return header


def _stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Stage JSON Lines the same way; each physical line is one record."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_lines AS
        SELECT i AS line_no, parts[i] AS raw
        FROM (SELECT string_split(replace(content, chr(13) || chr(10), chr(10)), chr(10)) AS parts
              FROM read_text({_sql_str(str(path))})) t,
             generate_series(1, len(parts)) g(i)""")
    # A final newline leaves one empty element that is no record.
    con.execute("""DELETE FROM raw_lines WHERE line_no = (SELECT max(line_no) FROM raw_lines)
                   AND raw = ''""")
    if con.execute("SELECT count(*) FROM raw_lines").fetchall()[0][0] == 0:
        raise ComplianceError("empty file: no records", path=str(path), line=1)
    # Only a line that is a JSON object is parsed further (DuckDB evaluates projections eagerly).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE raw_docs AS
        SELECT line_no, raw, CASE WHEN json_type(valid) = 'OBJECT' THEN valid END AS doc
        FROM (SELECT *, CASE WHEN json_valid(raw) THEN raw::JSON END AS valid FROM raw_lines)""")
    keys = [r[0] for r in con.execute(
        "SELECT DISTINCT unnest(json_keys(doc)) AS k FROM raw_docs ORDER BY k").fetchall()]
    selects = "".join(f", doc ->> {_sql_str(k)} AS {_ident(k)}" for k in keys)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_records AS
        SELECT line_no, raw,
               CASE WHEN raw = '' THEN 'ignored' WHEN doc IS NULL THEN 'reject' END AS state,
               CASE WHEN raw <> '' AND doc IS NULL THEN 'not a valid JSON object' END AS reject_reason,
               NULL::VARCHAR AS reject_field,
               CASE WHEN raw = '' THEN 'blank line' END AS ignore_reason {selects}
        FROM raw_docs""")
    return keys


def _load_staged(con: duckdb.DuckDBPyConnection, table: str, header: list[str], batch_id: str,
                 path: Path) -> tuple[int, int, int, dict]:
    """Type, check and insert the staged records; return (read, loaded, quarantined, ignored reasons)."""
    required, non_empty = LANDING_TABLES[table]
    present = set(header)
    missing = [c for c in required if c not in present]
    if missing:
        raise ComplianceError("required column missing", path=str(path), line=1, field=missing[0])
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall())
    contract_columns = [c for c in types if c not in PROVENANCE_COLUMNS]
    extras = [c for c in header if c not in types]

    def raw_value(col: str) -> str:
        return f"nullif(trim({_ident(col)}), '')" if col in present else "NULL"

    typed = []
    checks = []  # (condition, field, reason as SQL) in column order: the first failing one is reported
    for col in contract_columns:
        target = types[col]
        value = raw_value(col)
        if target == "BOOLEAN":
            expr = (f"CASE lower({value}) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true "
                    f"WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false END")
        elif target == "VARCHAR":
            expr = value
        else:
            expr = f"TRY_CAST({value} AS {target})"
        typed.append(f"{expr} AS {_ident(col)}")
        if col in non_empty:
            checks.append((f"{value} IS NULL", col, "'required value is empty'"))
        if target != "VARCHAR" and col in present:
            checks.append((f"{value} IS NOT NULL AND ({expr}) IS NULL", col,
                           f"'cannot read as {target.lower()}: ' || {value}"))
    extra_expr = ("json_object(" + ", ".join(f"{_sql_str(c)}, {_ident(c)}" for c in extras) + ")"
                  if extras else "NULL::JSON")
    problem = ("CASE " + " ".join(f"WHEN {cond} THEN {_sql_str(col + '|')} || {reason}"
                                  for cond, col, reason in checks) + " END") if checks else "NULL"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE typed_records AS
        SELECT line_no, raw, reject_field, reject_reason, state, ignore_reason,
               CASE WHEN state IS NULL THEN {problem} END AS problem,
               {', '.join(typed)}, {extra_expr} AS extra
        FROM raw_records""")
    id_col = ID_COLUMN[table]
    if id_col:
        # A repeated id is quarantined where it repeats: later in the file, or already loaded.
        con.execute(f"""
            UPDATE typed_records t SET problem = {_sql_str(id_col + '|')} || 'duplicate ' ||
                   {_sql_str(id_col)} || ' ' || t.{_ident(id_col)} || ' (first seen ' ||
                   coalesce('at line ' || d.first_line, 'in an earlier batch') || ')'
            FROM (
                SELECT line_no, {_ident(id_col)},
                       min(line_no) OVER (PARTITION BY {_ident(id_col)}) AS first_line_in_file
                FROM typed_records WHERE state IS NULL AND problem IS NULL
            ) w
            LEFT JOIN (SELECT {_ident(id_col)}, min(line_no) AS first_line FROM typed_records
                       WHERE state IS NULL AND problem IS NULL GROUP BY ALL) d USING ({_ident(id_col)})
            WHERE t.line_no = w.line_no AND (
                w.line_no > w.first_line_in_file
                OR EXISTS (SELECT 1 FROM {_ident(table)} e WHERE e.{_ident(id_col)} = w.{_ident(id_col)}
                           AND e.batch_id <> {_sql_str(batch_id)}))
        """)
        # Rows whose id is already in another batch point there, not at a line of this file.
        con.execute(f"""
            UPDATE typed_records t SET problem = replace(problem, '(first seen at line ' || t.line_no || ')',
                                                         '(first seen in an earlier batch)')
            WHERE problem LIKE '%first seen at line ' || t.line_no || ')'""")
    con.execute(f"""
        INSERT INTO {_ident(table)} BY NAME
        SELECT {', '.join(_ident(c) for c in contract_columns)}, extra,
               {_sql_str(batch_id)} AS batch_id, line_no AS source_line
        FROM typed_records WHERE state IS NULL AND problem IS NULL ORDER BY line_no""")
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {_sql_str(batch_id)}, line_no,
               coalesce(reject_field, split_part(problem, '|', 1)),
               coalesce(reject_reason, substr(problem, strpos(problem, '|') + 1)), raw
        FROM typed_records WHERE state = 'reject' OR (state IS NULL AND problem IS NOT NULL)
        ORDER BY line_no""")
    read, loaded, quarantined = con.execute("""
        SELECT count(*), count(*) FILTER (state IS NULL AND problem IS NULL),
               count(*) FILTER (state = 'reject' OR (state IS NULL AND problem IS NOT NULL))
        FROM typed_records""").fetchall()[0]
    reasons = dict(con.execute("""
        SELECT coalesce(ignore_reason, 'unspecified'), count(*) FROM typed_records
        WHERE state = 'ignored' GROUP BY ALL ORDER BY 1""").fetchall())
    return read, loaded, quarantined, reasons


Stager = Callable[[duckdb.DuckDBPyConnection, Path], list[str]]


def stage_canonical(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    return _stage_csv(con, path) if path.suffix == ".csv" else _stage_jsonl(con, path)


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, table: str | None = None,
                source: str = "canonical", source_tz: str = "America/New_York",
                stage: Stager = stage_canonical) -> BatchResult:
    """Load one file as one batch: idempotent, and a changed file replaces its batch.

    `stage(con, path)` reads the file into the temp table `raw_records` and returns the column
    names it found. `raw_records` has `line_no` (physical line where the record starts), `raw`
    (its text, kept in quarantine), `state` (NULL: a record to load; 'reject': unreadable, with
    `reject_field` and `reject_reason`; 'ignored': no access at all, with `ignore_reason`) and
    one VARCHAR column per found column, named as the table's columns. Typing, required values,
    duplicate ids, quarantine and the batch's counts are the same for every format.
    """
    path = Path(path)
    if ".." in path.parts:
        raise ComplianceError("path contains '..': give the landing path directly", path=str(path))
    if not path.is_file():
        raise ComplianceError("file not found", path=str(path))
    if stage is stage_canonical and path.suffix not in SUFFIXES:
        raise ComplianceError(f"unsupported file type {path.suffix!r} (expected .csv or .jsonl)",
                              path=str(path))
    table = table or table_for(path)
    resolved = str(path.resolve())
    sha = file_sha256(path)
    batch_id = hashlib.sha256(f"{table}\0{source}\0{sha}".encode()).hexdigest()[:16]
    if con.execute("SELECT 1 FROM batches WHERE batch_id = ?", [batch_id]).fetchall():
        return BatchResult(batch_id, table, resolved, "unchanged")
    if path.stat().st_size == 0:
        raise ComplianceError("empty file: no header row", path=str(path), line=1)

    previous = [r[0] for r in con.execute(
        "SELECT batch_id FROM batches WHERE path = ? AND table_name = ?", [resolved, table]).fetchall()]
    # Timestamps without an offset are read in the source's zone (DESIGN.md, "Time").
    con.execute(f"SET TimeZone = {_sql_str(source_tz)}")
    con.execute("BEGIN")
    try:
        for old in previous:
            con.execute(f"DELETE FROM {_ident(table)} WHERE batch_id = ?", [old])
            con.execute("DELETE FROM quarantine WHERE batch_id = ?", [old])
            con.execute("DELETE FROM batches WHERE batch_id = ?", [old])
        header = stage(con, path)
        read, loaded, quarantined, reasons = _load_staged(con, table, header, batch_id, path)
        ignored = sum(reasons.values())
        if read != loaded + quarantined + ignored:
            raise ComplianceError(
                f"reconciliation failed: read {read} != loaded {loaded} + quarantined {quarantined} "
                f"+ ignored {ignored}", path=str(path))
        con.execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [batch_id, source, table, resolved, sha, read, loaded, quarantined, ignored,
             json.dumps(reasons, sort_keys=True)])
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise ComplianceError(_first_line(exc), path=str(path)) from None
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("SET TimeZone = 'UTC'")
    return BatchResult(batch_id, table, resolved, "replaced" if previous else "loaded", read, loaded,
                       quarantined, ignored, reasons)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def ingest_landing(con: duckdb.DuckDBPyConnection, landing: Path, source_tz: str = "America/New_York",
                   progress=None) -> list[BatchResult]:
    """Load every file of a canonical landing folder (accounts first, so later checks can use them)."""
    results = []
    files = landing_files(Path(landing))
    for index, (table, path) in enumerate(files, 1):
        result = ingest_file(con, path, table, source_tz=source_tz)
        results.append(result)
        if progress:
            progress(index, len(files), result)
    return results
