"""Load canonical landing files (DESIGN.md, "Landing tables") into the warehouse.

A landing folder holds `<table>/*.csv` and `<table>/*.jsonl` (optionally gzip-compressed). Every
record of a file ends up in exactly one place: the table (loaded), `quarantine` (with line, field
and reason), or the count of ignored records (blank lines); `batches` records the three counts,
which add up to rows read. Files are read by DuckDB; Python never loops over records.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import hashlib
import io
import json
import tempfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import duckdb

from compliance.contract import ID_COLUMN, LANDING_TABLES, PROVENANCE_COLUMNS, VERBATIM_COLUMNS
from compliance.errors import ComplianceError
from compliance.queries import ident, literal

SUFFIXES = (".csv", ".jsonl")
GZIP_MAGIC = b"\x1f\x8b"
# The 10 MB fields of real exports must load (DuckDB's default line limit is 2 MB; STACK_NOTES).
MAX_LINE_SIZE = 64 * 1024 * 1024
# A timestamp written without an offset or zone: read in the source's zone, where a local time
# can be missing (spring forward) or repeated (fall back).
LOCAL_TIME_PATTERN = r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
# The bookkeeping columns of `raw_records`; a data column of the same name is staged as NAME_.
STAGING_COLUMNS = ("line_no", "raw", "state", "reject_field", "reject_reason", "ignore_reason")
# Where a header with one column gives away the file's real delimiter.
OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}


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
    late_months: list = field(default_factory=list)  # reported months it bears on (pipeline)

    def as_dict(self) -> dict:
        return asdict(self)


def staged_name(column: str) -> str:
    """The name a file's column has in `raw_records` (and so in `extra`)."""
    return column + "_" if column in STAGING_COLUMNS else column


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def logical_name(path: Path) -> str:
    """The file's name without a `.gz` suffix: what its content is once decompressed."""
    return path.name[:-3] if path.name.endswith(".gz") else path.name


def landing_files(landing: Path) -> list[tuple[str, Path]]:
    """(table, file) pairs of a canonical landing folder, in a stable order."""
    if not landing.is_dir():
        raise ComplianceError("landing folder not found", path=str(landing))
    found = []
    for table in LANDING_TABLES:
        folder = landing / table
        if folder.is_dir():
            found += [(table, p) for p in sorted(folder.iterdir())
                      if p.is_file() and Path(logical_name(p)).suffix in SUFFIXES]
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


# ------------------------------------------------------------------------ bytes to UTF-8 text
def _copy_checked(source: BinaryIO, codec: codecs.CodecInfo, path: Path, sink: BinaryIO | None) -> None:
    """Decode `source` in chunks (C speed); write UTF-8 to `sink`; name the line of a bad byte."""
    decoder = codec.incrementaldecoder("strict")
    consumed = newlines = 0
    chunk = b""
    try:
        while chunk := source.read(1 << 20):
            text = decoder.decode(chunk)
            if sink is not None:
                sink.write(text.encode("utf-8"))
            consumed += len(chunk)
            newlines += chunk.count(b"\n")
        chunk = b""
        tail = decoder.decode(b"", final=True)
        if sink is not None:
            sink.write(tail.encode("utf-8"))
    except UnicodeDecodeError as exc:
        # exc.object is the decoder's pending bytes followed by this chunk.
        in_chunk = exc.start - (len(exc.object) - len(chunk))
        line = newlines + chunk[:max(in_chunk, 0)].count(b"\n") + 1
        raise ComplianceError(
            f"not valid {codec.name} text: byte 0x{exc.object[exc.start]:02X} at offset "
            f"{consumed + in_chunk}; convert the file to UTF-8 (or name its encoding in a mapping)",
            path=str(path), line=line) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ComplianceError(f"cannot decompress: {exc}", path=str(path)) from None


@contextlib.contextmanager
def readable_copy(path: Path, encoding: str = "utf-8") -> Iterator[Path]:
    """Yield the file as plain UTF-8 text for DuckDB's readers.

    A UTF-8 file is checked and yielded as it is; a gzip-compressed file (recognised by its
    magic bytes, whatever its name) or another encoding is decoded into a private temporary copy
    named `logical_name(path)`, removed on exit. Bytes that are not valid text are an error
    naming the line, so no reader ever sees them.
    """
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise ComplianceError(f"unknown text encoding {encoding!r}", path=str(path)) from None
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
    if not compressed and codec.name == "utf-8":
        with path.open("rb") as source:
            _copy_checked(source, codec, path, None)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="compliance-ingest-") as folder:
        plain = Path(folder) / logical_name(path)
        opener = gzip.open if compressed else open
        with opener(path, "rb") as source, plain.open("wb") as sink:
            _copy_checked(source, codec, path, sink)
        yield plain


# ---------------------------------------------------------------------------------- staging
def _csv_header(path: Path, delimiter: str, quote: str) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise ComplianceError("empty file: no header row", path=str(path), line=1)
    names = [name.strip() for name in next(csv.reader(io.StringIO(first), delimiter=delimiter,
                                                      quotechar=quote))]
    if len(names) == 1:
        for other, word in OTHER_DELIMITERS.items():
            if other != delimiter and other in names[0]:
                raise ComplianceError(
                    f"the header has a single column and is separated by {word}; this format "
                    f"expects {delimiter!r} between columns", path=str(path), line=1)
    # A nameless column gets its position as name; a repeated name keeps the later one as NAME_2.
    header, seen = [], {}
    for position, name in enumerate(names, 1):
        name = name or f"column_{position}"
        seen[name] = seen.get(name, 0) + 1
        header.append(staged_name(name if seen[name] == 1 else f"{name}_{seen[name]}"))
    return header


def _re_class(chars: str) -> str:
    return "".join("\\" + c if c in "\\]^-[" else c for c in chars)


def _quote_state_patterns(delimiter: str, quote: str) -> tuple[str, str]:
    """RE2 patterns: a physical line that ends inside a quoted field, when it starts outside one
    and when it starts inside one (RFC 4180 quoting with doubled quotes, as DuckDB reads it: a
    quote opens a field only at its start; text after a closing quote runs to the delimiter)."""
    d, q = f"[{_re_class(delimiter)}]", f"[{_re_class(quote)}]"
    not_q, not_d, not_qd = f"[^{_re_class(quote)}]", f"[^{_re_class(delimiter)}]", f"[^{_re_class(quote + delimiter)}]"
    quoted_open = f"{q}(?:{not_q}|{q}{q})*"
    # After a closing quote, stray text never starts with a quote (that would be an escaped one),
    # so every line has exactly one reading.
    stray = f"(?:{not_qd}{not_d}*)?"
    field_ = f"(?:{quoted_open}{q}{stray}|{not_qd}{not_d}*|)"
    outside_to_inside = f"(?:{field_}{d})*{quoted_open}"
    inside_to_inside = f"(?:{not_q}|{q}{q})*(?:{q}{stray}{d}{outside_to_inside})?"
    return outside_to_inside, inside_to_inside


def _stage_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """`physical_lines(line_no, text)`: every physical line of a UTF-8 file, numbered from 1."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE physical_lines AS
        SELECT i AS line_no, parts[i] AS text
        FROM (SELECT string_split(CASE WHEN starts_with(content, chr(65279)) THEN substr(content, 2)
                                       ELSE content END, chr(10)) AS parts
              FROM read_text({literal(str(path))})) t,
             generate_series(1, len(parts)) g(i)""")
    # A final newline leaves one empty element that is no line.
    con.execute("""DELETE FROM physical_lines WHERE line_no = (SELECT max(line_no) FROM physical_lines)
                   AND text = ''""")


def _stage_record_lines(con: duckdb.DuckDBPyConnection, delimiter: str, quote: str) -> None:
    """`record_lines(line_no, slot, starts_record)`: the lines outside quoted fields.

    DuckDB skips blank lines but counts them in the numbers of its rejected records (`slot`,
    header = 1); a line starts a record when it begins outside a quoted field and is not blank.
    Each line's effect on the quote state is one of: none, always ends outside, always ends
    inside, or flips; the state before a line follows from the last line with a fixed outcome
    and the number of flips since, so the whole file is one pass of window functions.
    """
    outside_to_inside, inside_to_inside = _quote_state_patterns(delimiter, quote)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE record_lines AS
        WITH shape AS (
            SELECT line_no, rtrim(text, chr(13)) = '' AS blank,
                   contains(text, {literal(quote)}) AND regexp_full_match(text, {literal(outside_to_inside)}) AS o,
                   NOT contains(text, {literal(quote)}) OR regexp_full_match(text, {literal(inside_to_inside)}) AS i
            FROM physical_lines WHERE line_no > 1),
        grouped AS (
            SELECT *, CASE WHEN o = i THEN o END AS fixed, o AND NOT i AS flips,
                   count(CASE WHEN o = i THEN 1 END) OVER (ORDER BY line_no) AS grp
            FROM shape),
        states AS (
            SELECT line_no, blank,
                   (coalesce(first_value(fixed) OVER (PARTITION BY grp ORDER BY line_no), false)::INT
                    + sum(flips::INT) OVER (PARTITION BY grp ORDER BY line_no)) % 2 = 1 AS inside_after
            FROM grouped),
        placed AS (
            SELECT line_no, blank, coalesce(lag(inside_after) OVER (ORDER BY line_no), false) AS inside_before
            FROM states)
        SELECT line_no, 1 + row_number() OVER (ORDER BY line_no) AS slot, NOT blank AS starts_record
        FROM placed WHERE NOT inside_before""")


def stage_delimited(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str = ",",
                    quote: str = '"') -> list[str]:
    """Stage delimited text with a header as `raw_records(line_no, raw, <header columns> VARCHAR)`."""
    header = _csv_header(path, delimiter, quote)
    columns = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in header) + "}"
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE raw_read AS
            SELECT * FROM read_csv({literal(str(path))}, header = true, auto_detect = false,
                columns = {columns}, delim = {literal(delimiter)}, quote = {literal(quote)},
                escape = {literal(quote)}, store_rejects = true, strict_mode = true,
                max_line_size = {MAX_LINE_SIZE}, encoding = 'utf-8')""")
    except duckdb.InvalidInputException as exc:
        if "invalid state" not in str(exc):
            raise
        raise ComplianceError(
            "the CSV reader cannot parse this file, most often because it mixes line endings "
            "(CRLF and LF); write it with one kind of line ending", path=str(path)) from None
    con.execute("""
        CREATE OR REPLACE TEMP TABLE raw_rejects AS
        SELECT line AS slot, any_value(csv_line) AS raw,
               arg_min(coalesce(column_name, ''), column_idx) AS field,
               arg_min(error_type, column_idx) AS reason, arg_min(error_message, column_idx) AS message
        FROM reject_errors GROUP BY line""")
    _stage_lines(con, path)
    _stage_record_lines(con, delimiter, quote)
    [(starts, read, rejected, unplaced)] = con.execute("""
        SELECT (SELECT count(*) FROM record_lines WHERE starts_record), (SELECT count(*) FROM raw_read),
               (SELECT count(*) FROM raw_rejects),
               (SELECT count(*) FROM raw_rejects r WHERE NOT EXISTS (
                    SELECT 1 FROM record_lines l WHERE l.slot = r.slot AND l.starts_record))""").fetchall()
    if starts != read + rejected or unplaced:
        raise ComplianceError(
            f"cannot tell the physical line of every record: the reader found {read + rejected} "
            f"records, the line scan {starts} record starts (quoting this reader does not follow?)",
            path=str(path))
    record_fields = ", ".join(f"{ident(c)} := a.{ident(c)}" for c in header)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_records AS
        WITH accepted AS (
            SELECT rowid - min(rowid) OVER () + 1 AS k, * FROM raw_read),
        free_lines AS (
            SELECT line_no, row_number() OVER (ORDER BY line_no) AS k FROM record_lines
            WHERE starts_record AND slot NOT IN (SELECT slot FROM raw_rejects))
        SELECT f.line_no, NULL::VARCHAR AS state, NULL::VARCHAR AS reject_field,
               NULL::VARCHAR AS reject_reason, NULL::VARCHAR AS ignore_reason,
               to_json(struct_pack({record_fields}))::VARCHAR AS raw, a.* EXCLUDE (k)
        FROM accepted a JOIN free_lines f USING (k)
        UNION ALL BY NAME
        SELECT l.line_no, 'reject' AS state, nullif(r.field, '') AS reject_field,
               r.reason || ': ' || r.message AS reject_reason, r.raw
        FROM raw_rejects r JOIN record_lines l USING (slot)
        UNION ALL BY NAME
        SELECT line_no, 'ignored' AS state, 'blank line' AS ignore_reason, '' AS raw
        FROM record_lines WHERE NOT starts_record
    """)
    return header


def _stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Stage JSON Lines the same way; each physical line is one record."""
    _stage_lines(con, path)
    if con.execute("SELECT count(*) FROM physical_lines").fetchall()[0][0] == 0:
        raise ComplianceError("empty file: no records", path=str(path), line=1)
    # Only a line that is a JSON object is parsed further (DuckDB evaluates projections eagerly).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE raw_docs AS
        SELECT line_no, raw, CASE WHEN json_type(valid) = 'OBJECT' THEN valid END AS doc
        FROM (SELECT line_no, rtrim(text, chr(13)) AS raw,
                     CASE WHEN json_valid(text) THEN text::JSON END AS valid FROM physical_lines)""")
    keys = [r[0] for r in con.execute(
        "SELECT DISTINCT unnest(json_keys(doc)) AS k FROM raw_docs ORDER BY k").fetchall()]
    selects = "".join(f", doc ->> {literal(k)} AS {ident(staged_name(k))}" for k in keys)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_records AS
        SELECT line_no, raw,
               CASE WHEN trim(raw) = '' THEN 'ignored' WHEN doc IS NULL THEN 'reject' END AS state,
               CASE WHEN trim(raw) <> '' AND doc IS NULL THEN 'not a valid JSON object' END AS reject_reason,
               NULL::VARCHAR AS reject_field,
               CASE WHEN trim(raw) = '' THEN 'blank line' END AS ignore_reason {selects}
        FROM raw_docs""")
    return [staged_name(k) for k in keys]


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
        if col not in present:
            return "NULL"
        # Statements and search terms are evidence and are kept byte for byte.
        return f"nullif({ident(col)}, '')" if col in VERBATIM_COLUMNS else f"nullif(trim({ident(col)}), '')"

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
        typed.append(f"{expr} AS {ident(col)}")
        if col in non_empty:
            checks.append((f"{value} IS NULL", col, "'required value is empty'"))
        if target != "VARCHAR" and col in present:
            checks.append((f"{value} IS NOT NULL AND ({expr}) IS NULL", col,
                           f"'cannot read as {target.lower()}: ' || {value}"))
        if target == "TIMESTAMP WITH TIME ZONE" and col in present:
            # A local time the clocks skipped never happened; DuckDB would move it an hour on.
            checks.append((f"regexp_full_match({value}, {literal(LOCAL_TIME_PATTERN)}) "
                           f"AND CAST({expr} AS TIMESTAMP) <> TRY_CAST({value} AS TIMESTAMP)", col,
                           f"'local time ' || {value} || ' does not exist in ' || "
                           f"current_setting('TimeZone') || ' (skipped by the daylight-saving change)'"))
    extra_expr = ("json_object(" + ", ".join(f"{literal(c)}, {ident(c)}" for c in extras) + ")"
                  if extras else "NULL::JSON")
    problem = ("CASE " + " ".join(f"WHEN {cond} THEN {literal(col + '|')} || {reason}"
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
            UPDATE typed_records t SET problem = {literal(id_col + '|')} || 'duplicate ' ||
                   {literal(id_col)} || ' ' || t.{ident(id_col)} || ' (first seen ' ||
                   coalesce('at line ' || d.first_line, 'in an earlier batch') || ')'
            FROM (
                SELECT line_no, {ident(id_col)},
                       min(line_no) OVER (PARTITION BY {ident(id_col)}) AS first_line_in_file
                FROM typed_records WHERE state IS NULL AND problem IS NULL
            ) w
            LEFT JOIN (SELECT {ident(id_col)}, min(line_no) AS first_line FROM typed_records
                       WHERE state IS NULL AND problem IS NULL GROUP BY ALL) d USING ({ident(id_col)})
            WHERE t.line_no = w.line_no AND (
                w.line_no > w.first_line_in_file
                OR EXISTS (SELECT 1 FROM {ident(table)} e WHERE e.{ident(id_col)} = w.{ident(id_col)}
                           AND e.batch_id <> {literal(batch_id)}))
        """)
        # Rows whose id is already in another batch point there, not at a line of this file.
        con.execute(f"""
            UPDATE typed_records t SET problem = replace(problem, '(first seen at line ' || t.line_no || ')',
                                                         '(first seen in an earlier batch)')
            WHERE problem LIKE '%first seen at line ' || t.line_no || ')'""")
    con.execute(f"""
        INSERT INTO {ident(table)} BY NAME
        SELECT {', '.join(ident(c) for c in contract_columns)}, extra,
               {literal(batch_id)} AS batch_id, line_no AS source_line
        FROM typed_records WHERE state IS NULL AND problem IS NULL ORDER BY line_no""")
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {literal(batch_id)}, line_no,
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
    return stage_delimited(con, path) if Path(logical_name(path)).suffix == ".csv" else _stage_jsonl(con, path)


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, table: str | None = None,
                source: str = "canonical", source_tz: str = "America/New_York",
                stage: Stager = stage_canonical, encoding: str = "utf-8") -> BatchResult:
    """Load one file as one batch: idempotent, and a changed file replaces its batch.

    `stage(con, path)` reads the file into the temp table `raw_records` and returns the column
    names it found. `raw_records` has `line_no` (physical line where the record starts), `raw`
    (its text, kept in quarantine), `state` (NULL: a record to load; 'reject': unreadable, with
    `reject_field` and `reject_reason`; 'ignored': no access at all, with `ignore_reason`) and
    one VARCHAR column per found column, named as the table's columns. Typing, required values,
    duplicate ids, quarantine and the batch's counts are the same for every format.

    The stager always gets plain UTF-8: a gzip-compressed file or another `encoding` is decoded
    into a temporary copy first (`readable_copy`). A file that changes while it is read (still
    being written) loads nothing and is an error; ingest it again once it is complete.
    """
    path = Path(path)
    if ".." in path.parts:
        raise ComplianceError("path contains '..': give the landing path directly", path=str(path))
    if not path.is_file():
        raise ComplianceError("file not found", path=str(path))
    if stage is stage_canonical and Path(logical_name(path)).suffix not in SUFFIXES:
        raise ComplianceError(f"unsupported file type {path.suffix!r} (expected .csv or .jsonl, "
                              "optionally .gz)", path=str(path))
    table = table or table_for(path)
    resolved = str(path.resolve())
    before = path.stat()
    sha = file_sha256(path)
    batch_id = hashlib.sha256(f"{table}\0{source}\0{sha}".encode()).hexdigest()[:16]
    if con.execute("SELECT 1 FROM batches WHERE batch_id = ?", [batch_id]).fetchall():
        return BatchResult(batch_id, table, resolved, "unchanged")
    if before.st_size == 0:
        raise ComplianceError("empty file: no header row", path=str(path), line=1)

    previous = [r[0] for r in con.execute(
        "SELECT batch_id FROM batches WHERE path = ? AND table_name = ?", [resolved, table]).fetchall()]
    # Timestamps without an offset are read in the source's zone (DESIGN.md, "Time").
    con.execute(f"SET TimeZone = {literal(source_tz)}")
    con.execute("BEGIN")
    try:
        for old in previous:
            con.execute(f"DELETE FROM {ident(table)} WHERE batch_id = ?", [old])
            for bookkeeping in ("quarantine", "late_batches", "batches"):
                con.execute(f"DELETE FROM {bookkeeping} WHERE batch_id = ?", [old])
        with readable_copy(path, encoding) as plain:
            try:
                header = stage(con, plain)
            except ComplianceError as exc:
                if exc.path == str(plain):  # name the file as given, not its decompressed copy
                    exc.path = str(path)
                raise
        read, loaded, quarantined, reasons = _load_staged(con, table, header, batch_id, path)
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
