"""The one loader every input format goes through: a file becomes one batch.

Every record of a file ends up in exactly one place: its table (loaded), `quarantine` (with line,
field and reason), or the count of ignored records; `batches` records the three counts, which add
up to rows read. The format (compliance/sources/adapter.py) only stages the file; typing, required
values, duplicate ids, statement analysis, quarantine and the batch's counts are the same for all.
"""
from __future__ import annotations

import errno
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from compliance import evidence, queries
from compliance.contract import ID_COLUMN, LANDING_TABLES, PROVENANCE_COLUMNS, VERBATIM_COLUMNS
from compliance.errors import ComplianceError
from compliance.queries import ident, literal
from compliance.sources.adapter import SourceFormat, StageOptions
from compliance.sources.staging import clear_staged, quarantine_damaged_records, record_damaged_lines
from compliance.sources.statements import stage_statements
from compliance.sources.text import digest_and_check, logical_name, readable_copy
from compliance.warehouse import abandon, is_storage_failure

# A timestamp written without an offset or zone: read in the source's zone, where a local time
# can be missing (spring forward) or repeated (fall back).
LOCAL_TIME_PATTERN = r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"


@dataclass
class BatchResult:
    batch_id: str | None  # None: refused
    table: str | None  # None: refused before its table was known
    path: str
    status: str  # loaded, replaced, unchanged or refused
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_ignored: int = 0
    ignored_reasons: dict = field(default_factory=dict)
    late_months: list = field(default_factory=list)  # reported months it bears on (pipeline)
    reason: str | None = None  # why it was refused: one line naming file, line and field

    def as_dict(self) -> dict:
        return asdict(self)


def load_each(con: duckdb.DuckDBPyConnection, paths: Iterable[Path], fmt: SourceFormat, options: StageOptions,
              source_tz: str, progress: Callable | None = None) -> list[BatchResult]:
    """Load files one by one, each as its own batch: every file ends loaded, replaced, unchanged or
    refused, and a refused file (its reason kept in the result) never stops the others.

    A file is refused when loading it raises a ComplianceError or it cannot be read (OSError); it
    left nothing behind, since `load_file` rolls its batch back. A failure no other file would
    escape ends the run: the warehouse's storage failing (a full disk, which DuckDB answers by
    invalidating the database) or no room left for a decompressed copy.
    """
    paths = list(paths)
    results = []
    for index, path in enumerate(paths, 1):
        try:
            result = load_file(con, path, fmt, options, source_tz)
        except (ComplianceError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                raise ComplianceError(exc.strerror, path=str(path)) from None
            error = exc if isinstance(exc, ComplianceError) else ComplianceError(
                f"cannot read the file: {exc.strerror or exc}", path=str(path))
            try:
                con.execute("SELECT 1").fetchall()
            except duckdb.Error:
                raise error from None
            result = BatchResult(None, _table_or_none(fmt, Path(path)), str(Path(path).resolve()), "refused",
                                 reason=str(error))
        results.append(result)
        if progress:
            progress(index, len(paths), result)
    return results


def _table_or_none(fmt: SourceFormat, path: Path) -> str | None:
    try:
        return fmt.table_for(path)
    except ComplianceError:
        return None


def load_file(con: duckdb.DuckDBPyConnection, path: Path, fmt: SourceFormat, options: StageOptions,
              source_tz: str) -> BatchResult:
    """Load one file of format `fmt` as one batch: idempotent, and a changed file replaces its batch.

    The stager always gets plain UTF-8: a UTF-8 file is checked as its digest is made
    (`digest_and_check`), a gzip-compressed file, another encoding or a file with bytes that are
    not valid text is decoded into a temporary copy first (`readable_copy`); the records of its
    damaged lines are quarantined. Timestamps without an offset are read in the format's
    own zone, else in `source_tz`. A file that changes while it is read (still being written)
    loads nothing and is an error; ingest it again once it is complete.
    """
    path = Path(path)
    if not path.is_file():
        raise ComplianceError("file not found", path=str(path))
    if fmt.suffixes and Path(logical_name(path)).suffix not in fmt.suffixes:
        raise ComplianceError(f"unsupported file type {path.suffix!r} (expected {' or '.join(fmt.suffixes)}, "
                              "optionally .gz)", path=str(path))
    table = fmt.table_for(path)
    resolved = str(path.resolve())
    before = path.stat()
    checked = digest_and_check(path, fmt.encoding)
    sha = checked.sha256
    batch_id = hashlib.sha256(f"{table}\0{options.source}\0{sha}".encode()).hexdigest()[:16]
    if con.execute("SELECT 1 FROM batches WHERE batch_id = ?", [batch_id]).fetchall():
        return BatchResult(batch_id, table, resolved, "unchanged")
    if before.st_size == 0:
        raise ComplianceError("empty file (0 bytes; still being transferred?): nothing was loaded, "
                              "ingest it again once it is complete", path=str(path), line=1)

    previous = [r[0] for r in con.execute(
        "SELECT batch_id FROM batches WHERE path = ? AND table_name = ?", [resolved, table]).fetchall()]
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall())
    # Timestamps without an offset are read in the source's zone (docs/data-contract.md, "Tables").
    con.execute(f"SET TimeZone = {literal(fmt.timezone or source_tz)}")
    con.execute("BEGIN")
    try:
        for old in previous:
            con.execute(f"DELETE FROM {ident(table)} WHERE batch_id = ?", [old])
            for bookkeeping in ("quarantine", "late_batches", "batches"):
                con.execute(f"DELETE FROM {bookkeeping} WHERE batch_id = ?", [old])
        # The stager may leave `raw_records` as a view over the file: it is read until the load ends.
        with readable_copy(path, fmt.encoding, checked.as_is) as text:
            clear_staged(con)
            record_damaged_lines(con, text.damaged)
            try:
                header = fmt.stage(con, text.path, options)
            except ComplianceError as exc:
                if exc.path == str(text.path):  # name the file as given, not its decompressed copy
                    exc.path = str(path)
                raise
            # Analysed here, once, for every format: a log's records take their action from it, and
            # the rules read it for every event.
            if "statement" in header and "statement" in types:
                stage_statements(con, fmt.statements_from, fmt.dialect)
            if fmt.records_query:
                queries.execute(con, fmt.records_query, {"source": options.source})
            quarantine_damaged_records(con, path)
            read, loaded, quarantined, reasons = _load_staged(con, table, types, header, batch_id, path)
            clear_staged(con)
        ignored = sum(reasons.values())
        if read != loaded + quarantined + ignored:
            raise ComplianceError(
                f"reconciliation failed: read {read} != loaded {loaded} + quarantined {quarantined} "
                f"+ ignored {ignored}", path=str(path))
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise ComplianceError("the file changed while it was read (still being written?); "
                                  "nothing was loaded: ingest it again once it is complete",
                                  path=str(path))
        con.execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [batch_id, options.source, table, resolved, sha, read, loaded, quarantined, ignored,
             json.dumps(reasons, sort_keys=True)])
        evidence.record_batch(con, batch_id)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        abandon(con, "SET TimeZone = 'UTC'")
        if is_storage_failure(exc):  # the warehouse's fault, not the file's: it stops the ingest
            raise
        raise ComplianceError(_first_line(exc), path=str(path)) from None
    except BaseException:
        abandon(con, "SET TimeZone = 'UTC'")
        raise
    con.execute("SET TimeZone = 'UTC'")
    return BatchResult(batch_id, table, resolved, "replaced" if previous else "loaded", read, loaded,
                       quarantined, ignored, reasons)


def _load_staged(con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str], header: list[str],
                 batch_id: str, path: Path) -> tuple[int, int, int, dict]:
    """Type, check and insert the staged records; return (read, loaded, quarantined, ignored reasons)."""
    required, non_empty = LANDING_TABLES[table]
    present = set(header)
    missing = [c for c in required if c not in present]
    if missing:
        raise ComplianceError("required column missing", path=str(path), line=1, field=missing[0])
    contract_columns = [c for c in types if c not in PROVENANCE_COLUMNS]
    extras = [c for c in header if c not in types]

    def raw_value(col: str) -> str:
        if col not in present:
            return "NULL"
        # Statements and search terms are evidence and are kept byte for byte.
        return f"nullif({ident(col)}, '')" if col in VERBATIM_COLUMNS else f"nullif(trim({ident(col)}), '')"

    typed = []  # each contract column's typed value, as SQL over the `reads` aliases
    checks = []  # (condition, field, reason as SQL) in column order: the first failing one is reported
    # What the checks and the load read (a column's value, its typed value, the id), computed
    # once per record, each from the one before it.
    values: dict[str, str] = {}
    typed_values: dict[str, str] = {}

    for position, col in enumerate(contract_columns):
        target = types[col]
        value = ident(f"value_{position}")
        values[value] = raw_value(col)
        if target == "BOOLEAN":
            expr = (f"CASE lower({value}) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true "
                    f"WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false END")
        elif target == "VARCHAR":
            expr = value
        else:
            expr = f"TRY_CAST({value} AS {target})"
        typed_value = ident(f"typed_{position}")
        typed_values[typed_value] = expr
        typed.append(f"{typed_value} AS {ident(col)}")
        if col in non_empty:
            checks.append((f"{value} IS NULL", col, "'required value is empty'"))
        if target != "VARCHAR" and col in present:
            checks.append((f"{value} IS NOT NULL AND {typed_value} IS NULL", col,
                           f"'cannot read as {target.lower()}: ' || {value}"))
        if target == "TIMESTAMP WITH TIME ZONE" and col in present:
            # A local time the clocks skipped never happened; DuckDB would move it an hour on. The
            # comparison comes first: it is cheaper than the pattern, and false for most values.
            checks.append((f"CAST({typed_value} AS TIMESTAMP) <> TRY_CAST({value} AS TIMESTAMP) "
                           f"AND regexp_full_match({value}, {literal(LOCAL_TIME_PATTERN)})", col,
                           f"'local time ' || {value} || ' does not exist in ' || "
                           f"current_setting('TimeZone') || ' (skipped by the daylight-saving change)'"))
    id_col = ID_COLUMN[table]
    record_id = raw_value(id_col) if id_col else "NULL"
    extra_expr = ("json_object(" + ", ".join(f"{literal(c)}, {ident(c)}" for c in extras) + ")"
                  if extras else "NULL::JSON")
    problem = ("CASE " + " ".join(f"WHEN {cond} THEN {literal(col + '|')} || {reason}"
                                  for cond, col, reason in checks) + " END") if checks else "NULL::VARCHAR"
    batch = literal(batch_id)
    # One read of the file checks and types every record, in file order (numbering it is what
    # keeps that read on one thread); the records a check or a repeated id keeps out are known
    # before any row is written, and the load reads the typed records, not the file again.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE checked_records AS
        SELECT line_no, problem, CASE WHEN problem IS NULL THEN id END AS id, {', '.join(typed)}, extra
        FROM (SELECT *, {problem} AS problem FROM (
            SELECT *{''.join(f", {expr} AS {alias}" for alias, expr in typed_values.items())} FROM (
                SELECT line_no, {record_id} AS id, {extra_expr} AS extra
                       {''.join(f", {expr} AS {alias}" for alias, expr in values.items())}
                FROM raw_records WHERE state IS NULL)))""")
    # Records the stager left unnumbered (compliance/sources/staging.py) are every record of the
    # file, stored in its order (DuckDB preserves insertion order) under consecutive row ids that
    # start where the transaction's own storage does: a record's line is its position plus one,
    # for the header.
    [(unnumbered,)] = con.execute("""
        UPDATE checked_records SET line_no = rowid - (SELECT min(rowid) FROM checked_records) + 2
        WHERE line_no IS NULL""").fetchall()
    _stage_duplicates(con, table, id_col, batch)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE unloadable_lines AS
        SELECT line_no, problem FROM checked_records WHERE problem IS NOT NULL
        UNION ALL SELECT line_no, problem FROM duplicate_lines""")
    [(unloadable,)] = con.execute("SELECT count(*) FROM unloadable_lines").fetchall()
    kept_out = "AND line_no NOT IN (SELECT line_no FROM duplicate_lines)" if unloadable else ""
    con.execute(f"""
        INSERT INTO {ident(table)} BY NAME
        SELECT * EXCLUDE (line_no, problem, id), {batch} AS batch_id, line_no AS source_line
        FROM checked_records WHERE problem IS NULL {kept_out}""")
    # The text of a record kept out is read again only for the records kept out; unnumbered
    # records are matched to their lines by position.
    texts = ("(SELECT c.line_no, r.raw FROM (SELECT line_no FROM checked_records) c "
             "POSITIONAL JOIN (SELECT raw FROM raw_records) r)" if unnumbered else
             "(SELECT line_no, raw FROM raw_records WHERE state IS NULL)")
    unloaded = f"""UNION ALL
        SELECT line_no, split_part(problem, '|', 1), substr(problem, strpos(problem, '|') + 1), raw
        FROM unloadable_lines JOIN {texts} USING (line_no)""" if unloadable else ""
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {batch}, * FROM (
            SELECT line_no, reject_field, reject_reason, raw FROM raw_records WHERE state = 'reject'
            {unloaded})
        ORDER BY line_no""")
    [(read, loaded, quarantined)] = con.execute(f"""
        SELECT (SELECT count(*) FROM checked_records) + (SELECT count(*) FROM raw_records WHERE state IS NOT NULL),
               (SELECT count(*) FROM {ident(table)} WHERE batch_id = {batch}),
               (SELECT count(*) FROM quarantine WHERE batch_id = {batch})""").fetchall()
    reasons = dict(con.execute("""
        SELECT coalesce(ignore_reason, 'unspecified'), count(*) FROM raw_records
        WHERE state = 'ignored' GROUP BY ALL ORDER BY 1""").fetchall())
    con.execute("DROP TABLE checked_records; DROP TABLE duplicate_lines; DROP TABLE unloadable_lines")
    return read, loaded, quarantined, reasons


def _stage_duplicates(con: duckdb.DuckDBPyConnection, table: str, id_col: str | None, batch: str) -> None:
    """`duplicate_lines(line_no, problem)`: the checked records (`checked_records`) whose id repeats,
    later in the file or already loaded in another batch."""
    if not id_col:
        con.execute("CREATE OR REPLACE TEMP TABLE duplicate_lines (line_no BIGINT, problem VARCHAR)")
        return
    # One spillable aggregate over this file's ids and the earlier batches' finds the repeated
    # ones; only those (few) are joined back. A semi-join on every id would build a hash table of
    # the whole file, one allocation that a 30-million-row file cannot get under the memory limit.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE duplicate_lines AS
        WITH ids AS (
            SELECT id, line_no FROM checked_records WHERE id IS NOT NULL
            UNION ALL
            SELECT {ident(id_col)}, NULL FROM {ident(table)} WHERE batch_id <> {batch}),
        repeated AS (
            SELECT id, min(line_no) AS first_line, count(line_no) < count(*) AS earlier
            FROM ids GROUP BY id HAVING count(*) > 1)
        SELECT c.line_no,
               {literal(id_col + '|')} || 'duplicate ' || {literal(id_col)} || ' ' || c.id || ' (first seen ' ||
               CASE WHEN c.line_no = r.first_line THEN 'in an earlier batch' ELSE 'at line ' || r.first_line END
               || ')' AS problem
        FROM checked_records c JOIN repeated r USING (id)
        WHERE c.line_no > r.first_line OR r.earlier""")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
