"""The catalogue of bad input (docs/data-quality.md, "Bad input"): each case has one exact outcome,
a clear error, a quarantine row with its reason, or a kept row the rules judge. Never a crash,
never a lost row: the `con` fixture checks that every batch reconciles."""
from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import pytest

from compliance import cli, pipeline
from compliance.config import EXPECTATIONS_DIR, REPO_ROOT
from compliance.errors import ComplianceError
from compliance.sources.canonical import CANONICAL, stage_canonical
from compliance.sources.formats import ingest
from support import ACCESS_HEADER, DETAINER_HEADER, PACK_TZ, write

TS = "2016-03-04T10:00:00-05:00"


def detainer(did: str, received: str = TS, action: str = "declined", extra: str = "") -> str:
    return f"{did},P{did},B{did},{received},I-247D,,{action},,,{extra}"


def access(eid: str, action: str = "search", result_count: str = "1", ts: str = TS) -> str:
    return f"{eid},{ts},ppd1,10.0.0.1,{action},P1,name = 'X',C1,C,{result_count},success,1"


def lines(*rows: str, header: str = DETAINER_HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


@dataclass
class Case:
    name: str
    files: list[tuple[str, str | bytes]]              # (path under tmp, content), ingested in order
    error: str | None = None                          # exact message; {path}: the last file
    loaded: list[tuple[str, int]] = field(default_factory=list)       # (id, source_line)
    quarantined: list[tuple[int, str | None, str]] = field(default_factory=list)  # line, field, reason
    ignored: dict = field(default_factory=dict)
    check: Callable | None = None                     # check(con, paths) for anything else
    stage: Callable | None = None                     # a stager in place of the canonical one
    source_tz: str = PACK_TZ


def utc(con, table: str, column: str, key: str, value: str) -> str:
    [(ts,)] = con.execute(f"SELECT strftime(timezone('UTC', {column}), '%Y-%m-%d %H:%M:%S') "
                          f"FROM {table} WHERE {key} = ?", [value]).fetchall()
    return ts


def value_of(con, table: str, column: str, key: str, value: str):
    return con.execute(f'SELECT "{column}" FROM {table} WHERE {key} = ?', [value]).fetchall()[0][0]


def suite_query(table: str, check_name: str) -> str:
    """A check's SQL from its reviewed suite, run on the whole table as GX would run it on a batch."""
    suite = json.loads((EXPECTATIONS_DIR / f"{table}.json").read_text())
    [check] = [c for c in suite["expectations"] if c["name"] == check_name]
    return check["kwargs"]["unexpected_rows_query"].replace("{batch}", f"(SELECT * FROM {table}) AS batch")


def appending_stage(con, path: Path, options) -> list[str]:
    """Stage a file while its writer is still appending to it."""
    header = stage_canonical(con, path, options)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(detainer("D9") + "\n")
    return header


def _future_received_at_is_kept_and_blocks_its_month(con, paths):
    assert [r[0] for r in con.execute(suite_query("detainers", "received_at_not_after_arrival")).fetchall()] == ["D2"]


def _extra_kept(con, paths):
    assert json.loads(value_of(con, "detainers", "extra", "detainer_id", "D1")) == {"facility": "CFCF"}


def _bom_header_read(con, paths):
    assert value_of(con, "detainers", "person_id", "detainer_id", "D1") == "PD1"


def _embedded_newline_kept(con, paths):
    assert json.loads(value_of(con, "detainers", "extra", "detainer_id", "D1")) == {"note": "first\nsecond\nthird"}


def _read_in_source_zone(con, paths):
    assert utc(con, "detainers", "received_at", "detainer_id", "D1") == "2016-07-04 14:00:00"
    assert utc(con, "detainers", "received_at", "detainer_id", "D2") == "2016-07-04 00:00:00"


def _ambiguous_is_standard_time(con, paths):
    # 01:30 happened twice on 2016-11-06 in New York; DuckDB reads the second (EST, UTC-5).
    assert utc(con, "detainers", "received_at", "detainer_id", "D1") == "2016-11-06 06:30:00"
    assert utc(con, "detainers", "received_at", "detainer_id", "D2") == "2016-11-06 05:30:00"


def _negative_count_kept(con, paths):
    assert value_of(con, "access_events", "result_count", "event_id", "E1") == -3


def _outside_set_kept(con, paths):
    assert value_of(con, "access_events", "action", "event_id", "E1") == "frobnicate"
    assert value_of(con, "detainers", "form_type", "detainer_id", "D1") is None  # empty: judged too


def _ten_mb_field_kept(con, paths):
    assert len(json.loads(value_of(con, "detainers", "extra", "detainer_id", "D1"))["note"]) == 10 * 1024 * 1024


def _control_characters_kept(con, paths):
    assert json.loads(value_of(con, "detainers", "extra", "detainer_id", "D1")) == {
        "note": "bell\x07 escape\x1b[31m nul\x00 end"}


def _formula_kept(con, paths):
    assert value_of(con, "detainers", "action", "detainer_id", "D1") == '=HYPERLINK("http://x.test","click")'


def _gzip_read(con, paths):
    assert con.execute("SELECT count(*) FROM batches WHERE rows_loaded = 1").fetchall() == [(2,)]


def _duplicate_header_kept(con, paths):
    assert json.loads(value_of(con, "detainers", "extra", "detainer_id", "D1")) == {
        "note": "one", "note_2": "two", "column_13": "three"}


def _staging_name_kept(con, paths):
    assert json.loads(value_of(con, "detainers", "extra", "detainer_id", "D1")) == {"state_": "PA", "raw_": "x"}


def _bad_bytes_kept_escaped(con, paths):
    assert con.execute("SELECT raw FROM quarantine").fetchall() == [("D3,Jos\\xe9,B3,,,,,,,",)]


def _rewrite_complete_file_loads(con, paths):
    assert con.execute("SELECT count(*) FROM batches").fetchall() == [(0,)]
    result = ingest(con, paths[-1], CANONICAL, PACK_TZ)  # the writer has finished: the whole file loads
    assert (result.rows_read, result.rows_loaded) == (2, 2)


def _batch_path_resolved(con, paths):
    assert ".." in paths[-1].parts
    assert con.execute("SELECT path FROM batches").fetchall() == [(str(paths[-1].resolve()),)]


long_note = "y" * (10 * 1024 * 1024)
LATIN1 = lines(detainer("D1"), "D2,PD2,BD2,2016-03-04,I-247D,,declined,,,").encode() + b"D3,Jos\xe9,B3,,,,,,,\n"
# 300 gzip members of one 800 kB JSON line each: 721 kB that expand to 240 MB.
BOMB = gzip.compress(json.dumps({"detainer_id": "D1", "person_id": "P1"}).encode() * 20_000 + b"\n", 9) * 300
BOMB_CAP = max(64 * 1024 * 1024, 100 * len(BOMB))
# Files of one line ending but one: DuckDB's reader fails on the first, and on the second skips a
# record in one of its two modes.
ONE_CRLF = lines(*(detainer(did, extra="Roe") + end for did, end in (("D1", ""), ("D2", "\r"), ("D3", ""))))
ONE_CRLF_AFTER_QUOTE = lines(*(detainer(did, extra='"Roe"') + end for did, end in (("D1", ""), ("D2", "\r"), ("D3", ""))))
CASES = [
    Case("empty_file", [("detainers/d.csv", "")],
         error="{path}, line 1: empty file (0 bytes; still being transferred?): nothing was loaded, ingest it "
               "again once it is complete"),
    Case("header_only", [("detainers/d.csv", DETAINER_HEADER + "\n")]),
    Case("missing_column", [("detainers/d.csv", "detainer_id,person_id,booking_id,received_at,form_type,"
                                                "attachments,action\nD1,P1,B1,2016-03-04,I-247D,,held\n")],
         error="{path}, line 1, field action_at: required column missing"),
    Case("extra_column", [("detainers/d.csv", lines(detainer("D1", extra=",CFCF"),
                                                    header=DETAINER_HEADER + ",facility"))],
         loaded=[("D1", 2)], check=_extra_kept),
    Case("renamed_column", [("detainers/d.csv", lines(detainer("D1"), header=DETAINER_HEADER.replace(
        "received_at", "receivedAt")))], error="{path}, line 1, field received_at: required column missing"),
    Case("wrong_delimiter", [("detainers/d.csv", lines(detainer("D1").replace(",", ";"),
                                                       header=DETAINER_HEADER.replace(",", ";")))],
         error="{path}, line 1: the header has a single column and is separated by semicolons; this "
               "format expects ',' between columns"),
    Case("bom", [("detainers/d.csv", b"\xef\xbb\xbf" + lines(detainer("D1")).encode())],
         loaded=[("D1", 2)], check=_bom_header_read),
    Case("non_utf8_bytes", [("detainers/d.csv", LATIN1)], loaded=[("D1", 2), ("D2", 3)],
         quarantined=[(4, None, f"not valid utf-8 text: byte 0xE9 at offset {LATIN1.index(b'Jos') + 3}")],
         check=_bad_bytes_kept_escaped),
    Case("non_utf8_bytes_in_header", [("detainers/d.csv", b"detainer_id,p\xe9rson_id\n" + detainer("D1").encode())],
         error="{path}, line 1: the header cannot be read: not valid utf-8 text: byte 0xE9 at offset 13"),
    Case("not_text", [("detainers/d.csv", bytes(range(256)) * 64)],
         error="{path}: not a text file: 64 NUL and 8192 undecodable bytes in its first 16384 characters as "
               "utf-8 (a binary file, or another encoding such as UTF-16?); nothing was loaded"),
    Case("utf16_text", [("detainers/d.csv", lines(detainer("D1")).encode("utf-16"))],
         error="{path}: not a text file: 183 NUL and 2 undecodable bytes in its first 368 characters as utf-8 (a "
               "binary file, or another encoding such as UTF-16?); nothing was loaded"),
    Case("truncated_last_line", [("detainers/d.csv", lines(detainer("D1")) + "D2,PD2,BD2,2016-03-0")],
         loaded=[("D1", 2)],
         quarantined=[(3, "form_type", "MISSING COLUMNS: Expected Number of Columns: 10 Found: 4")]),
    Case("truncated_last_line_jsonl", [("detainers/d.jsonl", json.dumps(
        {"detainer_id": "D1", "person_id": "P1", "booking_id": "B1", "received_at": TS, "form_type": "I-247D",
         "attachments": "", "action": "held", "action_at": None}) + '\n{"detainer_id": "D2", "per')],
         loaded=[("D1", 1)], quarantined=[(2, None, "not a valid JSON object")]),
    Case("unbalanced_quotes", [("detainers/d.csv", lines(detainer("D1"), 'D2,PD2,BD2,"2016-03-04,I-247D,,held,,,',
                                                         detainer("D3")))],
         loaded=[("D1", 2)],
         quarantined=[(3, "received_at", "UNQUOTED VALUE: Value with unterminated quote found.")]),
    Case("embedded_newlines", [("detainers/d.csv", lines(detainer("D1", extra=',"first\nsecond\nthird"'),
                                                         detainer("D2", extra=",x"),
                                                         header=DETAINER_HEADER + ",note"))],
         loaded=[("D1", 2), ("D2", 5)], check=_embedded_newline_kept),
    Case("blank_lines", [("detainers/d.csv", lines(detainer("D1"), "", detainer("D2"), "", "", detainer("D3")))],
         loaded=[("D1", 2), ("D2", 4), ("D3", 7)], ignored={"blank line": 3}),
    Case("whitespace_line", [("detainers/d.csv", lines(detainer("D1"), "   ", detainer("D2")))],
         loaded=[("D1", 2), ("D2", 4)],
         quarantined=[(3, "person_id", "MISSING COLUMNS: Expected Number of Columns: 10 Found: 1")]),
    Case("duplicate_id_within_file", [("detainers/d.csv", lines(detainer("D1"), detainer("D2"), detainer("D1")))],
         loaded=[("D1", 2), ("D2", 3)], quarantined=[(4, "detainer_id", "duplicate detainer_id D1 (first seen at line 2)")]),
    Case("duplicate_id_across_files", [("detainers/a.csv", lines(detainer("D1"))),
                                       ("detainers/b.csv", lines(detainer("D2"), detainer("D1")))],
         loaded=[("D1", 2), ("D2", 2)],
         quarantined=[(3, "detainer_id", "duplicate detainer_id D1 (first seen in an earlier batch)")]),
    Case("null_key", [("detainers/d.csv", lines(",PX,BX,2016-03-04,I-247D,,held,,,", detainer("D2")))],
         loaded=[("D2", 3)], quarantined=[(2, "detainer_id", "required value is empty")]),
    Case("unreadable_timestamp", [("detainers/d.csv", lines(detainer("D1", received="2016-02-30T10:00:00-05:00")))],
         quarantined=[(2, "received_at", "cannot read as timestamp with time zone: 2016-02-30T10:00:00-05:00")]),
    Case("timestamp_without_offset", [("detainers/d.csv", lines(detainer("D1", received="2016-07-04 10:00:00"),
                                                                detainer("D2", received="2016-07-04T00:00:00Z")))],
         loaded=[("D1", 2), ("D2", 3)], check=_read_in_source_zone),
    Case("dst_ambiguous_local_time", [("detainers/d.csv", lines(detainer("D1", received="2016-11-06 01:30:00"),
                                                                detainer("D2", received="2016-11-06T01:30:00-04:00")))],
         loaded=[("D1", 2), ("D2", 3)], check=_ambiguous_is_standard_time),
    Case("dst_nonexistent_local_time", [("detainers/d.csv", lines(detainer("D1", received="2016-03-13 02:30:00"),
                                                                  detainer("D2", received="2016-03-13 03:30:00")))],
         loaded=[("D2", 3)],
         quarantined=[(2, "received_at", "local time 2016-03-13 02:30:00 does not exist in America/New_York "
                                         "(skipped by the daylight-saving change)")]),
    Case("future_date", [("detainers/d.csv", lines(detainer("D1"), detainer("D2", received="2099-01-01T00:00:00Z")))],
         loaded=[("D1", 2), ("D2", 3)], check=_future_received_at_is_kept_and_blocks_its_month),
    Case("negative_count", [("access_events/a.csv", lines(access("E1", result_count="-3"), header=ACCESS_HEADER))],
         loaded=[("E1", 2)], check=_negative_count_kept),
    Case("value_outside_allowed_set", [("access_events/a.csv", lines(access("E1", action="frobnicate"),
                                                                     header=ACCESS_HEADER)),
                                       ("detainers/d.csv", lines("D1,P1,B1,2016-03-04,,,held,,,"))],
         loaded=[("E1", 2), ("D1", 2)], check=_outside_set_kept),
    Case("ten_mb_field", [("detainers/d.csv", lines(detainer("D1", extra=f',"{long_note}"'), detainer("D2", extra=",x"),
                                                    header=DETAINER_HEADER + ",note"))],
         loaded=[("D1", 2), ("D2", 3)], check=_ten_mb_field_kept),
    Case("control_characters", [("detainers/d.csv", lines(detainer("D1", extra=',"bell\x07 escape\x1b[31m nul\x00 end"'),
                                                          header=DETAINER_HEADER + ",note"))],
         loaded=[("D1", 2)], check=_control_characters_kept),
    Case("spreadsheet_formula", [("detainers/d.csv", lines(detainer("D1", action='"=HYPERLINK(""http://x.test"",""click"")"')))],
         loaded=[("D1", 2)], check=_formula_kept),
    Case("gzip_input", [("detainers/a.csv.gz", gzip.compress(lines(detainer("D1")).encode())),
                        ("detainers/b.csv", gzip.compress(lines(detainer("D2")).encode()))],
         loaded=[("D1", 2), ("D2", 2)], check=_gzip_read),
    Case("gzip_bomb", [("detainers/d.jsonl.gz", BOMB)],
         error=f"{{path}}: decompresses to more than {BOMB_CAP} bytes, over {BOMB_CAP // len(BOMB)} times its "
               f"{len(BOMB)} bytes (COMPLIANCE_MAX_EXPANSION, default 100): refused as a possible decompression "
               "bomb; raise the limit if the file is genuine"),
    Case("corrupt_gzip", [("detainers/d.csv.gz", gzip.compress(lines(detainer("D1")).encode())[:40])],
         error="{path}: cannot decompress: Compressed file ended before the end-of-stream marker was reached"),
    Case("mixed_line_endings", [("detainers/d.csv", DETAINER_HEADER + "\n" + "D1,P1,B1,2016-03-04,I-247D,,held,,,"
                                 "Judge Roe\r\nD2,P2,B2,2016-03-04,I-247D,,held,,,Judge Roe\r\n")],
         loaded=[("D1", 2), ("D2", 3)]),
    Case("mixed_line_endings_one_line", [("detainers/d.csv", ONE_CRLF)], loaded=[("D1", 2), ("D3", 4)],
         quarantined=[(3, None, "line ends with CRLF where the file's lines end with a line feed alone "
                                "(mixed line endings)")]),
    Case("mixed_line_endings_after_quote", [("detainers/d.csv", ONE_CRLF_AFTER_QUOTE)], loaded=[("D1", 2), ("D3", 4)],
         quarantined=[(3, None, "line ends with CRLF where the file's lines end with a line feed alone "
                                "(mixed line endings)")]),
    Case("duplicate_header_names", [("detainers/d.csv", lines(detainer("D1", extra=",one,two,three"),
                                                              header=DETAINER_HEADER + ",note,note,"))],
         loaded=[("D1", 2)], check=_duplicate_header_kept),
    Case("column_named_like_staging", [("detainers/d.csv", lines(detainer("D1", extra=",PA,x"),
                                                                 header=DETAINER_HEADER + ",state,raw"))],
         loaded=[("D1", 2)], check=_staging_name_kept),
    Case("file_still_being_written", [("detainers/d.csv", lines(detainer("D1")))], stage=appending_stage,
         error="{path}: the file changed while it was read (still being written?); nothing was loaded: "
               "ingest it again once it is complete", check=_rewrite_complete_file_loads),
    Case("path_with_dotdot", [("detainers/d.csv", lines(detainer("D1")))],
         loaded=[("D1", 2)], check=_batch_path_resolved),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, con, tmp_path):
    paths = [write(tmp_path / name, content) for name, content in case.files]
    if case.name == "path_with_dotdot":
        paths[-1] = tmp_path / "detainers" / ".." / "detainers" / "d.csv"
    error = None
    for path in paths:
        try:
            ingest(con, path, replace(CANONICAL, stage=case.stage) if case.stage else CANONICAL, case.source_tz)
        except ComplianceError as exc:
            error = str(exc)
    assert error == (case.error.format(path=paths[-1]) if case.error else None)

    loaded = sorted(con.execute(
        "SELECT detainer_id, source_line FROM detainers UNION ALL "
        "SELECT event_id, source_line FROM access_events").fetchall())
    assert loaded == sorted(case.loaded)
    assert con.execute("SELECT line_no, field, reason FROM quarantine ORDER BY batch_id, line_no"
                       ).fetchall() == case.quarantined
    ignored = {}
    for (reasons,) in con.execute("SELECT ignored_reasons FROM batches").fetchall():
        for reason, count in json.loads(reasons).items():
            ignored[reason] = ignored.get(reason, 0) + count
    assert ignored == case.ignored
    if case.check:
        case.check(con, paths)


def test_quarantine_keeps_the_raw_record(con, tmp_path):
    """The unbalanced quote swallows the rest of the file into one quarantined record: kept whole."""
    text = lines(detainer("D1"), 'D2,PD2,BD2,"2016-03-04,I-247D,,held,,,', detainer("D3"))
    ingest(con, write(tmp_path / "detainers" / "d.csv", text), CANONICAL, PACK_TZ)
    [(raw,)] = con.execute("SELECT raw FROM quarantine").fetchall()
    assert raw == text.split("\n", 2)[2]


def test_every_case_is_listed_in_the_docs():
    doc = (REPO_ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    section = doc.split("\n## Bad input", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M))
    assert listed == {c.name for c in CASES} | {"formula_in_csv_export", "control_characters_in_listing"}
    assert len(CASES) >= 25


def test_formula_text_is_neutralised_only_in_csv_exports(home, tmp_path, capsys):
    """Kept as data in the warehouse (above); a CSV export prefixes an apostrophe."""
    path = write(tmp_path / "landing" / "detainers" / "d.csv",
                 lines(detainer("D1", action='"=HYPERLINK(""http://x.test"",""click"")"'),
                       "D2,PD2,BD2,bad,I-247D,,+SUM(A1),,,"))
    pipeline.ingest_files(home, [path])
    assert cli.main(["--home", str(home), "query", "SELECT action FROM detainers"]) == 0
    assert capsys.readouterr().out == "action\n\"'=HYPERLINK(\"\"http://x.test\"\",\"\"click\"\")\"\n"
    assert cli.main(["--home", str(home), "quarantine", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "table_name,path,line_no,field,reason,raw"
    # A row that parsed but could not be typed keeps its fields as a JSON object.
    raw = json.loads(next(csv.reader([out[1]]))[5])
    assert out[1].startswith(f"detainers,{path},3,received_at,cannot read as timestamp with time zone: bad,")
    assert (raw["received_at"], raw["action"]) == ("bad", "+SUM(A1)")


def test_control_characters_are_escaped_in_the_quarantine_listing(home, tmp_path, capsys):
    path = write(tmp_path / "landing" / "detainers" / "d.csv", lines(detainer("D1", received="\x1b[2Jnow")))
    pipeline.ingest_files(home, [path])
    assert cli.main(["--home", str(home), "quarantine"]) == 0
    assert capsys.readouterr().out == (f"{path}: line 2, field received_at: cannot read as timestamp "
                                       "with time zone: <U+001B>[2Jnow\n")
