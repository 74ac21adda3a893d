"""Staging: a delimited or JSON Lines file as `raw_records`, record by record.

`raw_records` has `line_no` (the physical line where the record starts; NULL where the stager
was told the loader numbers the records: then a record's line is its position in the file plus
one, for the header), `raw` (its text, kept in quarantine), `state` (NULL: a record to load; 'reject': unreadable, with `reject_field` and
`reject_reason`; 'ignored': no access at all, with `ignore_reason`) and one VARCHAR column per
column found. It is a temp table, or a view over the file (read again by every query of it, so a
file's records are never copied whole). Files are read by DuckDB; Python never loops over records.
"""
from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb

from compliance import queries
from compliance.errors import ComplianceError
from compliance.queries import ident, literal
from compliance.sources.text import DamagedLine, copy_with_one_line_ending, line_shape

# The 10 MB fields of real exports must load (DuckDB's default max_line_size is 2 MB).
MAX_LINE_SIZE = 64 * 1024 * 1024
# DuckDB's reader buffers default to 16 lines of the maximum size (1 GiB here), one per thread:
# beyond a 1 GB file they no longer fit a 2 GB memory limit. Two lines' worth is what it needs.
READ_BUFFER_SIZE = 2 * MAX_LINE_SIZE
# The bookkeeping columns of `raw_records`; a data column of the same name is staged as NAME_.
STAGING_COLUMNS = ("line_no", "raw", "state", "reject_field", "reject_reason", "ignore_reason")
# Where a header with one column gives away the file's real delimiter.
OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}


def staged_name(column: str) -> str:
    """The name a file's column has in `raw_records` (and so in `extra`)."""
    return column + "_" if column in STAGING_COLUMNS else column


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


def _reader(path: Path, header: list[str], delimiter: str, quote: str, first_read: bool) -> str:
    """read_csv of the file, every column as text. The first read keeps the records it cannot
    parse in `reject_errors`; a later read skips the same records."""
    columns = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in header) + "}"
    rejects = "store_rejects = true" if first_read else "ignore_errors = true"
    return f"""read_csv({literal(str(path))}, header = true, auto_detect = false, columns = {columns},
                delim = {literal(delimiter)}, quote = {literal(quote)}, escape = {literal(quote)},
                {rejects}, strict_mode = true, max_line_size = {MAX_LINE_SIZE},
                buffer_size = {READ_BUFFER_SIZE}, encoding = 'utf-8')"""


def stage_delimited(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str = ",",
                    quote: str = '"', numbered: bool = True) -> list[str]:
    """Stage delimited text with a header as `raw_records(line_no, raw, <header columns> VARCHAR)`.

    A first read only counts the records and keeps the rejected ones. When every line after the
    header is one record and none was rejected (the common case), `raw_records` is a view over the
    reader: the loader's one read of it is the file's load. Numbering its records in the reader's
    order keeps that read on one thread, so a caller that numbers them by position itself (the
    loader, as it stores what it read) asks for `numbered=False` and gets `line_no` NULL there.
    Otherwise the records are placed at their lines once, in the table `placed_records`.
    """
    header = _csv_header(path, delimiter, quote)
    shape = line_shape(path)
    # With mixed line endings DuckDB's reader may fail, or skip different records in its two modes
    # (keeping rejects, ignoring errors): its reading is kept only when both modes agree.
    probed = _records_read(con, _reader(path, header, delimiter, quote, False)) if shape.mixed_endings else None
    if shape.mixed_endings and probed is None:
        return _stage_with_one_line_ending(con, path, delimiter, quote)
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        [(read,)] = con.execute(f"SELECT count(*) FROM {_reader(path, header, delimiter, quote, True)}").fetchall()
    except duckdb.InvalidInputException as exc:
        if "invalid state" not in str(exc):
            raise
        raise ComplianceError("the CSV reader cannot parse this file (lone carriage returns as line "
                              "ends?)", path=str(path)) from None
    if shape.mixed_endings and probed != read:
        return _stage_with_one_line_ending(con, path, delimiter, quote)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE raw_rejects AS
        SELECT line AS slot, any_value(csv_line) AS raw,
               arg_min(coalesce(column_name, ''), column_idx) AS field,
               arg_min(error_type, column_idx) AS reason, arg_min(error_message, column_idx) AS message
        FROM reject_errors GROUP BY line""")
    [(rejected,)] = con.execute("SELECT count(*) FROM raw_rejects").fetchall()
    # The reader's accepted records, `k` their order in the file.
    accepted = f"(SELECT row_number() OVER () AS k, * FROM {_reader(path, header, delimiter, quote, False)})"
    # Where line endings are mixed the reader numbers its rejects its own way: such a file is placed.
    if shape.lone_returns == 0 and not shape.mixed_endings and shape.lines == 1 + read + rejected:
        if rejected == 0:
            in_order = accepted if numbered else \
                f"(SELECT NULL::BIGINT AS k, * FROM {_reader(path, header, delimiter, quote, False)})"
            _create_records_view(con, header, f"""(
                SELECT k + 1 AS line_no, NULL::VARCHAR AS state, NULL::VARCHAR AS reject_field,
                       NULL::VARCHAR AS reject_reason, NULL::VARCHAR AS ignore_reason,
                       NULL::VARCHAR AS raw, * EXCLUDE (k)
                FROM {in_order})""")
        else:
            _stage_one_line_records(con, header, accepted, shape.lines)
    else:
        _stage_placed_records(con, header, accepted, read, delimiter, quote, path)
    return header


def _records_read(con: duckdb.DuckDBPyConnection, reader: str) -> int | None:
    """The records `reader` accepts, or None where it cannot parse the file. Its "invalid state"
    aborts the transaction it runs in, so it runs on a cursor of its own."""
    probe = con.cursor()
    try:
        [(read,)] = probe.execute(f"SELECT count(*) FROM {reader}").fetchall()
        return read
    except duckdb.InvalidInputException as exc:
        if "invalid state" not in str(exc):
            raise
        return None
    finally:
        probe.close()


def _stage_with_one_line_ending(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str,
                                quote: str) -> list[str]:
    """Stage a file whose mixed line endings the reader cannot read from a copy in which every line
    ends as most of them do. The records of the lines that ended otherwise are quarantined
    (`damaged_lines`); the header's and a blank line's endings are only rewritten, since they hold
    no record."""
    with tempfile.TemporaryDirectory(prefix="compliance-endings-") as folder:
        copy = Path(folder) / path.name
        damaged = [line for line in copy_with_one_line_ending(path, copy) if line.line_no > 1 and line.raw]
        try:
            header = stage_delimited(con, copy, delimiter, quote)
        except ComplianceError as exc:
            if exc.path == str(copy):
                exc.path = str(path)
            raise
        # The copy is removed on return: its records are kept in a table.
        materialise_staged(con)
    add_damaged_lines(con, damaged)
    return header


def record_damaged_lines(con: duckdb.DuckDBPyConnection, damaged: list[DamagedLine]) -> None:
    """Start `damaged_lines(line_no, reason, raw)` for the file about to be staged: the lines that
    cannot be read as they are (compliance/sources/text.py), to which a stager adds its own."""
    con.execute("CREATE OR REPLACE TEMP TABLE damaged_lines (line_no BIGINT, reason VARCHAR, raw VARCHAR)")
    add_damaged_lines(con, damaged)


def add_damaged_lines(con: duckdb.DuckDBPyConnection, damaged: list[DamagedLine]) -> None:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS damaged_lines (line_no BIGINT, reason VARCHAR, raw VARCHAR)")
    if damaged:
        con.execute("INSERT INTO damaged_lines SELECT unnest($lines), unnest($reasons), unnest($raws)",
                    {"lines": [d.line_no for d in damaged], "reasons": [d.reason for d in damaged],
                     "raws": [d.raw for d in damaged]})


def quarantine_damaged_records(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Mark every staged record a damaged line belongs to as rejected, with the line's reason and
    its escaped text as `raw`: the rest of the file loads. A record runs from its line to the next
    record's. A damaged line before every record, the header, refuses the file.

    Only a damaged file pays for this: `raw_records` becomes a table, its records numbered where
    the stager left that to the loader (a record's line is then its position plus one, for the
    header)."""
    if not con.execute("SELECT 1 FROM damaged_lines LIMIT 1").fetchall():
        return
    materialise_staged(con)
    con.execute("""UPDATE raw_records SET line_no = rowid - (SELECT min(rowid) FROM raw_records) + 2
                   WHERE line_no IS NULL""")
    before_records = con.execute("""
        SELECT line_no, reason FROM damaged_lines
        WHERE line_no < (SELECT coalesce(min(line_no), 9223372036854775807) FROM raw_records)
        ORDER BY line_no LIMIT 1""").fetchall()
    if before_records:
        [(line, reason)] = before_records
        raise ComplianceError(f"the header cannot be read: {reason}", path=str(path), line=line)
    queries.execute(con, "sources/staged_damaged_records")


def _create_records_view(con: duckdb.DuckDBPyConnection, header: list[str], records: str) -> None:
    """`raw_records` over `records` (line_no, the bookkeeping columns and the record's columns; `raw`
    only where the reader kept a text). An accepted record's `raw`, its fields as a JSON object, is
    only made for the records that are read with it: the quarantined ones."""
    record_fields = ", ".join(f"{ident(c)} := {ident(c)}" for c in header)
    con.execute(f"""
        CREATE TEMP VIEW raw_records AS
        SELECT line_no, state, reject_field, reject_reason, ignore_reason,
               coalesce(raw, to_json(struct_pack({record_fields}))::VARCHAR) AS raw,
               {', '.join(ident(c) for c in header)}
        FROM {records}""")


def _stage_one_line_records(con: duckdb.DuckDBPyConnection, header: list[str], accepted: str,
                            lines: int) -> None:
    """`raw_records` when every line after the header is one record but some were rejected: the
    accepted records fill the other lines in order (a rejected record's number is its line)."""
    _place_records(
        con, header, accepted,
        free_lines=f"""SELECT line_no, row_number() OVER (ORDER BY line_no) AS k FROM range(2, {lines} + 1) t(line_no)
                       WHERE line_no NOT IN (SELECT slot FROM raw_rejects)""",
        rejects="SELECT slot AS line_no, * FROM raw_rejects")


def _place_records(con: duckdb.DuckDBPyConnection, header: list[str], accepted: str, free_lines: str,
                   rejects: str, blank_lines: str | None = None) -> None:
    """`raw_records` over the table `placed_records`: the reader's accepted records numbered by
    `free_lines` (line_no and the k-th accepted record it holds), its rejects placed at their
    `line_no`, and blank lines ignored; in line order, as the file is."""
    blanks = f"""
        UNION ALL BY NAME
        SELECT line_no, 'ignored' AS state, 'blank line' AS ignore_reason, '' AS raw FROM ({blank_lines})""" \
        if blank_lines else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE placed_records AS
        WITH free_lines AS ({free_lines})
        SELECT f.line_no, NULL::VARCHAR AS state, NULL::VARCHAR AS reject_field,
               NULL::VARCHAR AS reject_reason, NULL::VARCHAR AS ignore_reason, NULL::VARCHAR AS raw,
               a.* EXCLUDE (k)
        FROM {accepted} a JOIN free_lines f USING (k)
        UNION ALL BY NAME
        SELECT r.line_no, 'reject' AS state, nullif(r.field, '') AS reject_field,
               r.reason || ': ' || r.message AS reject_reason, r.raw
        FROM ({rejects}) r{blanks}
        ORDER BY line_no""")
    _create_records_view(con, header, "placed_records")


def _stage_placed_records(con: duckdb.DuckDBPyConnection, header: list[str], accepted: str, read: int,
                          delimiter: str, quote: str, path: Path) -> None:
    """`raw_records` when records span lines or blank lines are skipped: every physical line is
    scanned for where records start."""
    _stage_lines(con, path)
    _stage_record_lines(con, delimiter, quote)
    [(starts, rejected, unplaced)] = con.execute("""
        SELECT (SELECT count(*) FROM record_lines WHERE starts_record), (SELECT count(*) FROM raw_rejects),
               (SELECT count(*) FROM raw_rejects r WHERE NOT EXISTS (
                    SELECT 1 FROM record_lines l WHERE l.slot = r.slot AND l.starts_record))""").fetchall()
    if starts != read + rejected or unplaced:
        raise ComplianceError(
            f"cannot tell the physical line of every record: the reader found {read + rejected} "
            f"records, the line scan {starts} record starts (quoting this reader does not follow?)",
            path=str(path))
    _place_records(
        con, header, accepted,
        free_lines="""SELECT line_no, row_number() OVER (ORDER BY line_no) AS k FROM record_lines
                      WHERE starts_record AND slot NOT IN (SELECT slot FROM raw_rejects)""",
        rejects="SELECT l.line_no, r.* FROM raw_rejects r JOIN record_lines l USING (slot)",
        blank_lines="SELECT line_no FROM record_lines WHERE NOT starts_record")


def materialise_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Make `raw_records` a table, for a format that alters or rebuilds it after staging."""
    con.execute("CREATE OR REPLACE TEMP TABLE staged_copy AS SELECT * FROM raw_records")
    clear_staged(con)
    con.execute("ALTER TABLE staged_copy RENAME TO raw_records")


def clear_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop `raw_records`, a table or a view (the next file may be staged as the other kind)."""
    for (kind,) in con.execute("""SELECT table_type FROM information_schema.tables
                                  WHERE table_catalog = 'temp' AND table_name = 'raw_records'""").fetchall():
        con.execute("DROP VIEW raw_records" if kind == "VIEW" else "DROP TABLE raw_records")


def stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
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
