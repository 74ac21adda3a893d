"""Throughput of the pgaudit csvlog adapter on 1,000,000 records, against DuckDB's own read_csv of
the same file in the same run.

The file is generated here: sessions of a PARS-like workload (connection, pgaudit records with
multi-line, quoted and unicode statements, disconnection), 2,000 distinct statements. The baseline
is read_csv of every column as text into a table; the adapter's time is a full `ingest`
(staging, payload parsing, statement analysis, typing, checks, load) into a fresh warehouse.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb

from compliance import warehouse
from compliance.sources.formats import ingest
from compliance.sources.pgaudit import CSVLOG_COLUMNS
from compliance.sources.staging import MAX_LINE_SIZE

RECORDS = 1_000_000
LINES_PER_SESSION = 100
DISTINCT_STATEMENTS = 2_000


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _pgaudit_field(text: str) -> str:
    return _quote(text) if any(c in text for c in ',"\r\n') else text


def _statement(k: int) -> str:
    if k % 4 == 0:
        return f"SELECT first_name, last_name FROM persons WHERE person_id = 'P{k:06d}'"
    if k % 4 == 1:
        return (f"/* case=CP-51-CR-{k:07d}-2024 purpose=C */ SELECT a.arrest_id,\n       p.last_name\n"
                f"FROM arrests a JOIN persons p USING (person_id)\nWHERE p.last_name = 'O''Brien-{k}'")
    if k % 4 == 2:
        return f"SELECT * FROM persons WHERE last_name LIKE 'GAR{k}%' AND alias = 'José \"{k}\"'"
    return f"UPDATE custody_events SET event_type = 'released' WHERE event_id = 'C{k}'"


def write_csvlog(path: Path, records: int = RECORDS) -> None:
    statements = [_statement(k) for k in range(DISTINCT_STATEMENTS)]
    lines = []
    for n in range(records):
        session, line = divmod(n, LINES_PER_SESSION)
        sid = f"65e7{session:04x}.{session % 65536:x}"
        stamp = f"2024-03-05 {(n // 3600000) % 24:02d}:{(n // 60000) % 60:02d}:{(n // 1000) % 60:02d}.{n % 1000:03d} UTC"
        if line == 0:
            message, tag = f"connection authorized: user=u{session % 50} database=pars", "authentication"
        elif line == LINES_PER_SESSION - 1:
            message, tag = f"disconnection: session time: 0:00:01.000 user=u{session % 50} database=pars", "idle"
        else:
            text = statements[(n * 7919) % DISTINCT_STATEMENTS]
            klass, command = ("WRITE", "UPDATE") if text.startswith("UPDATE") else ("READ", "SELECT")
            message = (f"AUDIT: SESSION,{line},1,{klass},{command},TABLE,public.persons,"
                       f"{_pgaudit_field(text)},<not logged>")
            tag = command
        lines.append(
            f"{stamp},\"u{session % 50}\",\"pars\",{4000 + session % 30000},\"10.1.{session % 250}.7:5{line:04d}\","
            f"{sid},{line + 1},\"{tag}\",2024-03-05 00:00:00 UTC,3/{n},0,LOG,00000,{_quote(message)},,,,,,,,,"
            f"\"PARS Web Portal\",\"client backend\",,0\n")
    path.write_text("".join(lines), encoding="utf-8")


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-pgaudit-") as folder:
        path = Path(folder) / "postgresql.csv"
        started = time.perf_counter()
        write_csvlog(path)
        generated = time.perf_counter() - started
        size_mb = round(path.stat().st_size / 1e6, 1)

        baseline_con = duckdb.connect()
        started = time.perf_counter()
        baseline_con.execute(
            "CREATE TABLE t AS SELECT * FROM read_csv(?, header = false, auto_detect = false, columns = ?, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, max_line_size = ?)",
            [str(path), {c: "VARCHAR" for c in CSVLOG_COLUMNS}, MAX_LINE_SIZE])
        baseline = time.perf_counter() - started
        baseline_rows = baseline_con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        baseline_con.close()

        con = warehouse.memory()
        started = time.perf_counter()
        result = ingest(con, path, "pgaudit-csvlog", "UTC")
        adapter = time.perf_counter() - started
        analysed = con.execute("SELECT count(*) FROM statement_analysis").fetchall()[0][0]
        con.close()
    assert baseline_rows == RECORDS and result.rows_read == RECORDS and result.rows_quarantined == 0
    return {
        "records": RECORDS,
        "file_mb": size_mb,
        "generate_seconds": round(generated, 2),
        "duckdb_read_csv_seconds": round(baseline, 2),
        "adapter_ingest_seconds": round(adapter, 2),
        "adapter_records_per_second": round(RECORDS / adapter),
        "ratio_adapter_to_read_csv": round(adapter / baseline, 2),
        "rows_loaded": result.rows_loaded,
        "rows_ignored": result.rows_ignored,
        "distinct_statements_analysed": analysed,
    }
