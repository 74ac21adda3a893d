"""Fuzzing the parsers (CSV, JSON Lines, a mapping) with hypothesis, bounded for CI: whatever the
input, ingest either loads it with exact values and physical line numbers, or quarantines or
ignores every record it cannot load, or refuses the file with a one-line error. Never a crash."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance import warehouse
from compliance.errors import ComplianceError
from compliance.quality.reconcile import batch_discrepancies
from compliance.sources.formats import ingest
from compliance.sources.mapping import load_mapping, mapping_format
from support import DETAINER_HEADER, PACK_TZ

FUZZ = settings(max_examples=int(os.environ.get("COMPLIANCE_FUZZ_EXAMPLES", "40")), deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Letters, separators, quotes, newlines, controls, formula starts and non-ASCII text; ' ' is the
# only character here that the loader trims.
ALPHABET = "ab1 ,;|\"'\n\t=+-@\x07\x1b\x00éß中🙂"
TEXT = st.text(alphabet=ALPHABET, max_size=12)
TS = "2016-03-04T10:00:00-05:00"


def ingest_text(content: bytes, name: str = "detainers/d.csv"):
    """Ingest `content` as one file in a fresh warehouse; (result or error, connection)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / name
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    con = warehouse.memory()
    try:
        return ingest(con, path, "canonical", PACK_TZ), con
    except ComplianceError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path)), str(exc)
        return exc, con


@FUZZ
@given(rows=st.lists(st.tuples(TEXT, TEXT, TEXT), max_size=8), crlf=st.booleans(), quote_all=st.booleans(),
       bom=st.booleans(), final_newline=st.booleans(), blanks=st.lists(st.integers(0, 8), max_size=3))
def test_valid_csv_loads_every_value_at_its_physical_line(rows, crlf, quote_all, bom, final_newline, blanks):
    end = "\r\n" if crlf else "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=end, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(DETAINER_HEADER.split(","))
    expected, line = {}, 2
    for index, (attachments, action, signed_by) in enumerate(rows):
        line += blanks.count(index)
        out.write(end * blanks.count(index))
        values = [v.replace("\n", end) for v in (attachments, action, signed_by)]
        writer.writerow([f"D{index}", "P1", "B1", TS, "I-247D", values[0], values[1], "", "", values[2]])
        expected[f"D{index}"] = (line, *[v.strip(" ") or None for v in values])
        line += sum(v.count(end) for v in values) + 1
    text = out.getvalue()
    if not final_newline and rows:
        text = text[: -len(end)]
    result, con = ingest_text((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    assert not isinstance(result, ComplianceError), result
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT detainer_id, source_line, attachments, action, judicial_warrant_signed_by FROM detainers").fetchall()}
    assert got == expected
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        len(rows) + result.rows_ignored, len(rows), 0)
    assert batch_discrepancies(con) == []


@FUZZ
@given(body=st.text(alphabet="a1,\" \n\r", max_size=80))
def test_any_csv_body_is_loaded_quarantined_ignored_or_refused(body):
    content = DETAINER_HEADER + "\n" + body
    result, con = ingest_text(content.encode())
    if isinstance(result, ComplianceError):
        assert con.execute("SELECT count(*) FROM batches").fetchall() == [(0,)]
        return
    assert batch_discrepancies(con) == []
    physical = content.split("\n")[:-1] if content.endswith("\n") else content.split("\n")
    numbers = sorted(r[0] for r in con.execute(
        "SELECT source_line FROM detainers UNION ALL SELECT line_no FROM quarantine").fetchall())
    assert len(set(numbers)) == len(numbers) and all(2 <= n <= len(physical) for n in numbers)
    if '"' not in body:
        # Without quotes every non-blank line is one record, at its own line number.
        records = [n for n, text in enumerate(physical[1:], 2) if text.rstrip("\r") != ""]
        assert numbers == records
        assert result.rows_ignored == len(physical) - 1 - len(records)


@FUZZ
@given(lines=st.lists(st.one_of(
    st.builds(lambda i, t: json.dumps({"detainer_id": f"D{i}", "person_id": "P", "booking_id": "B",
                                       "received_at": TS, "form_type": t, "attachments": t,
                                       "action": t, "action_at": None}, ensure_ascii=False),
              st.integers(0, 10**6), TEXT),
    TEXT.map(lambda t: t.replace("\n", " ")),
    st.just("")), max_size=10))
def test_any_jsonl_line_is_one_record_at_its_line(lines):
    result, con = ingest_text(("\n".join(lines) + "\n").encode(), name="detainers/d.jsonl")
    if isinstance(result, ComplianceError):
        # Refused only when no line is a record with the required columns (nor any line at all).
        assert not any(line.startswith('{"detainer_id"') for line in lines), result
        return
    assert batch_discrepancies(con) == []
    assert result.rows_read == len(lines)
    seen = set()
    for number, line in enumerate(lines, 1):
        try:
            doc = json.loads(line)
        except ValueError:
            doc = None
        if not line.strip():
            continue
        placed = con.execute("SELECT 'loaded' FROM detainers WHERE source_line = ? UNION ALL "
                             "SELECT reason FROM quarantine WHERE line_no = ?", [number, number]).fetchall()
        assert len(placed) == 1, (number, line)
        if isinstance(doc, dict) and doc["detainer_id"] not in seen:
            assert placed == [("loaded",)]
            seen.add(doc["detainer_id"])
        elif not isinstance(doc, dict):
            assert placed == [("not a valid JSON object",)]


MAPPING = """
table: custody_events
file: {delimiter: "|"}
timezone: America/Chicago
timestamp_formats: ["%m/%d/%Y %H:%M", "%Y-%m-%d"]
columns:
  event_id: {template: "ev-{line}"}
  person_id: {column: who}
  booking_id: {column: booking}
  event_type: {column: what, values: {IN: booked, OUT: released}}
  event_ts: {column: when}
"""


@FUZZ
@given(rows=st.lists(st.tuples(st.sampled_from(["IN", "out", " In ", "x", ""]),
                               st.sampled_from(["03/04/2016 10:30", "2016-03-04", "2016-3-4 10:30", "", "junk"]),
                               TEXT.map(lambda t: t.replace("\n", " ").replace("|", "/").replace('"', "'"))),
                     max_size=8))
def test_mapping_recodes_parses_or_quarantines(rows, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mapping")
    (folder / "fuzz.yaml").write_text(MAPPING)
    mapping = load_mapping(str(folder / "fuzz.yaml"))
    text = "who|booking|what|when|note\n" + "".join(f"P{i}|B1|{what}|{when}|{note}\n"
                                                   for i, (what, when, note) in enumerate(rows))
    path = folder / "export.psv"
    path.write_text(text, encoding="utf-8")
    con = warehouse.memory()
    result = ingest(con, path, mapping_format(mapping), PACK_TZ)
    assert batch_discrepancies(con) == []
    assert result.rows_read == len(rows)
    for number, (what, when, note) in enumerate(rows, 2):
        loaded = con.execute("SELECT event_type, strftime(timezone('UTC', event_ts), '%Y-%m-%d %H:%M'), "
                             "extra ->> 'note' FROM custody_events WHERE event_id = ?", [f"ev-{number}"]).fetchall()
        reason = con.execute("SELECT field, reason FROM quarantine WHERE line_no = ?", [number]).fetchall()
        if when == "":
            assert reason == [("event_ts", "required value is empty")]
        elif when not in ("03/04/2016 10:30", "2016-03-04"):
            assert reason == [("event_ts", "does not match the mapping's formats %m/%d/%Y %H:%M, "
                                           f"%Y-%m-%d: {when.strip()}")]
        else:
            utc = "2016-03-04 16:30" if when == "03/04/2016 10:30" else "2016-03-04 06:00"
            recoded = {"in": "booked", "out": "released"}.get(what.strip().lower(), what.strip() or None)
            assert loaded == [(recoded, utc, note or None)]
