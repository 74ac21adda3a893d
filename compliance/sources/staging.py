"""Staging: a delimited or JSON Lines file into the temp table `raw_records`, record by record.

`raw_records` has `line_no` (the physical line where the record starts), `raw` (its text, kept in
quarantine), `state` (NULL: a record to load; 'reject': unreadable, with `reject_field` and
`reject_reason`; 'ignored': no access at all, with `ignore_reason`) and one VARCHAR column per
column found. Files are read by DuckDB; Python never loops over records.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from compliance.errors import ComplianceError
from compliance.queries import ident, literal
from compliance.sources.text import line_shape

# The 10 MB fields of real exports must load (DuckDB's default max_line_size is 2 MB).
MAX_LINE_SIZE = 64 * 1024 * 1024
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
    lines, lone_returns = line_shape(path)
    [(read, rejected)] = con.execute("SELECT (SELECT count(*) FROM raw_read), (SELECT count(*) FROM raw_rejects)").fetchall()
    if lone_returns == 0 and lines == 1 + read + rejected:
        _stage_one_line_records(con, header, lines)
    else:
        _stage_placed_records(con, header, delimiter, quote, path)
    return header


def _stage_one_line_records(con: duckdb.DuckDBPyConnection, header: list[str], lines: int) -> None:
    """`raw_records` when every line after the header is one record: the reader's order gives each
    record its line (a rejected record's number is its line), with no scan of the text."""
    _build_raw_records(
        con, header,
        free_lines=f"""SELECT line_no, row_number() OVER (ORDER BY line_no) AS k FROM range(2, {lines} + 1) t(line_no)
                       WHERE line_no NOT IN (SELECT slot FROM raw_rejects)""",
        rejects="SELECT slot AS line_no, * FROM raw_rejects")


def _build_raw_records(con: duckdb.DuckDBPyConnection, header: list[str], free_lines: str, rejects: str,
                       blank_lines: str | None = None) -> None:
    """`raw_records` from the reader's accepted rows, numbered by `free_lines` (line_no and the
    k-th accepted row it holds), its rejects placed at their `line_no`, and blank lines ignored."""
    record_fields = ", ".join(f"{ident(c)} := a.{ident(c)}" for c in header)
    blanks = f"""
        UNION ALL BY NAME
        SELECT line_no, 'ignored' AS state, 'blank line' AS ignore_reason, '' AS raw FROM ({blank_lines})""" \
        if blank_lines else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_records AS
        WITH accepted AS (
            SELECT rowid - min(rowid) OVER () + 1 AS k, * FROM raw_read),
        free_lines AS ({free_lines})
        SELECT f.line_no, NULL::VARCHAR AS state, NULL::VARCHAR AS reject_field,
               NULL::VARCHAR AS reject_reason, NULL::VARCHAR AS ignore_reason,
               to_json(struct_pack({record_fields}))::VARCHAR AS raw, a.* EXCLUDE (k)
        FROM accepted a JOIN free_lines f USING (k)
        UNION ALL BY NAME
        SELECT r.line_no, 'reject' AS state, nullif(r.field, '') AS reject_field,
               r.reason || ': ' || r.message AS reject_reason, r.raw
        FROM ({rejects}) r{blanks}""")


def _stage_placed_records(con: duckdb.DuckDBPyConnection, header: list[str], delimiter: str, quote: str,
                          path: Path) -> None:
    """`raw_records` when records span lines or blank lines are skipped: every physical line is
    scanned for where records start."""
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
    _build_raw_records(
        con, header,
        free_lines="""SELECT line_no, row_number() OVER (ORDER BY line_no) AS k FROM record_lines
                      WHERE starts_record AND slot NOT IN (SELECT slot FROM raw_rejects)""",
        rejects="SELECT l.line_no, r.* FROM raw_rejects r JOIN record_lines l USING (slot)",
        blank_lines="SELECT line_no FROM record_lines WHERE NOT starts_record")


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
