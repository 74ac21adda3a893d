"""Canonical landing files: every record loaded, quarantined with a reason, or ignored."""
import gzip
import json
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.errors import ComplianceError
from compliance.sources.canonical import ingest_landing
from compliance.sources.formats import ingest
from support import DETAINER_HEADER, PACK_TZ


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


@pytest.fixture
def con():
    connection = warehouse.memory()
    yield connection
    connection.close()


def reconciles(con) -> bool:
    rows = con.execute("SELECT rows_read, rows_loaded, rows_quarantined, rows_ignored FROM batches").fetchall()
    return bool(rows) and all(r == l + q + i for r, l, q, i in rows)


def test_physical_line_numbers_survive_embedded_newlines_and_crlf(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", DETAINER_HEADER + ",facility\n"
                 'D1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,I-200,held,,,,"two\nlines"\n'
                 "D2,P2,B2,2016-03-04T10:00:00-05:00,I-247D,I-200,declined,,,,x\n", newline="\r\n")
    result = ingest(con, path, "canonical", PACK_TZ)
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert con.execute("SELECT detainer_id, source_line FROM detainers ORDER BY 1").fetchall() == [
        ("D1", 2), ("D2", 4)]
    assert json.loads(con.execute("SELECT extra FROM detainers WHERE detainer_id = 'D1'").fetchall()[0][0]) == {
        "facility": "two\r\nlines"}


def test_bad_rows_are_quarantined_with_line_field_and_reason(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", DETAINER_HEADER + "\n"
                 "D1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,I-200,held,,,\n"
                 "D2,P2,B2,not a time,I-247D,,declined,,,\n"
                 "D3,P3,B3,2016-03-04T10:00:00-05:00,I-247N\n"
                 "D1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,I-200,held,,,\n"
                 ",P4,B4,2016-03-04T10:00:00-05:00,I-247D,,held,,,\n"
                 "D5,P5,B5,2016-03-04T10:00:00-05:00,I-247D,,odd-action,,,\n")
    result = ingest(con, path, "canonical", PACK_TZ)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 2, 4)
    rows = con.execute("SELECT line_no, field, reason FROM quarantine ORDER BY line_no").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(3, "received_at"), (4, "attachments"), (5, "detainer_id"),
                                            (6, "detainer_id")]
    assert rows[0][2] == "cannot read as timestamp with time zone: not a time"
    assert rows[1][2] == "MISSING COLUMNS: Expected Number of Columns: 10 Found: 5"
    assert rows[2][2] == "duplicate detainer_id D1 (first seen at line 2)"
    assert rows[3][2] == "required value is empty"
    # A value outside the allowed set is data the rules judge, not a quarantine reason.
    assert con.execute("SELECT action FROM detainers WHERE detainer_id = 'D5'").fetchall() == [("odd-action",)]
    assert reconciles(con)


def test_missing_required_column_is_one_clear_error(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", "detainer_id,person_id,booking_id,received_at\nD1,P1,B1,2016-03-04\n")
    with pytest.raises(ComplianceError) as error:
        ingest(con, path, "canonical", PACK_TZ)
    assert str(error.value) == f"{path}, line 1, field form_type: required column missing"
    assert con.execute("SELECT count(*) FROM batches").fetchall() == [(0,)]


def test_empty_file_is_one_clear_error(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", "")
    with pytest.raises(ComplianceError, match=r"line 1: empty file \(0 bytes; still being transferred\?\)"):
        ingest(con, path, "canonical", PACK_TZ)


def test_header_only_file_is_an_empty_batch(con, tmp_path):
    result = ingest(con, write(tmp_path / "detainers" / "d.csv", DETAINER_HEADER + "\n"), "canonical", PACK_TZ)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_ignored) == (0, 0, 0, 0)


def test_jsonl_blank_lines_ignored_and_invalid_lines_quarantined(con, tmp_path):
    path = write(tmp_path / "access_events" / "a.jsonl",
                 '{"event_id":"E1","event_ts":"2018-09-01T00:00:00-04:00","account_id":"a","action":"search",'
                 '"client_addr":null,"subject_person_id":"P1","search_terms":"x","case_number":"c",'
                 '"purpose_code":"C","result_count":1,"outcome":"success","sequence_no":1}\n'
                 "\n"
                 "[1, 2]\n"
                 '{"event_id":"E2","event_ts":"2018-09-01 00:00:00","account_id":"a","result_count":"many",'
                 '"client_addr":null,"action":"view","subject_person_id":"P1","search_terms":"x",'
                 '"case_number":"c","purpose_code":"C","outcome":"success","sequence_no":2}\n')
    result = ingest(con, path, "canonical", PACK_TZ)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_ignored) == (4, 1, 2, 1)
    assert result.ignored_reasons == {"blank line": 1}
    assert con.execute("SELECT line_no, field, reason FROM quarantine ORDER BY 1").fetchall() == [
        (3, None, "not a valid JSON object"), (4, "result_count", "cannot read as bigint: many")]


def test_timestamp_without_offset_is_read_in_the_source_zone(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", DETAINER_HEADER + "\n"
                 "D1,P1,B1,2016-07-04 10:00:00,I-247D,,declined,,,\n")
    ingest(con, path, "canonical", "America/New_York")
    assert con.execute("SELECT strftime(received_at, '%H:%M') FROM detainers").fetchall() == [("14:00",)]


def test_reingest_identical_file_changes_nothing_and_corrected_file_replaces_batch(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", DETAINER_HEADER + "\n"
                 "D1,P1,B1,bad,I-247D,,declined,,,\n")
    first = ingest(con, path, "canonical", PACK_TZ)
    before = warehouse.table_checksums(con)
    assert ingest(con, path, "canonical", PACK_TZ).status == "unchanged"
    assert warehouse.table_checksums(con) == before
    write(path, DETAINER_HEADER + "\nD1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,,declined,,,\n")
    second = ingest(con, path, "canonical", PACK_TZ)
    assert (second.status, second.rows_loaded) == ("replaced", 1)
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
    assert con.execute("SELECT batch_id FROM batches").fetchall() == [(second.batch_id,)]
    assert second.batch_id != first.batch_id


def test_duplicate_id_across_files_is_quarantined_in_the_later_file(con, tmp_path):
    row = "D1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,,declined,,,\n"
    ingest(con, write(tmp_path / "detainers" / "a.csv", DETAINER_HEADER + "\n" + row), "canonical", PACK_TZ)
    result = ingest(con, write(tmp_path / "detainers" / "b.csv", DETAINER_HEADER + "\n" + row + row),
                    "canonical", PACK_TZ)
    assert (result.rows_loaded, result.rows_quarantined) == (0, 2)
    assert [r[0] for r in con.execute("SELECT reason FROM quarantine ORDER BY line_no").fetchall()] == [
        "duplicate detainer_id D1 (first seen in an earlier batch)",
        "duplicate detainer_id D1 (first seen at line 2)"]


def test_landing_folder_rejects_unknown_table_folder(con, tmp_path):
    (tmp_path / "detainerz").mkdir()
    with pytest.raises(ComplianceError, match="'detainerz' is not a landing table"):
        ingest_landing(con, tmp_path)


def test_path_with_dotdot_is_the_file_it_names(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", DETAINER_HEADER + "\nD1,P1,B1,2016-03-04,,,held,,,\n")
    first = ingest(con, tmp_path / "detainers" / ".." / "detainers" / "d.csv", "canonical", PACK_TZ)
    assert (first.status, first.path, first.rows_loaded) == ("loaded", str(path.resolve()), 1)
    assert ingest(con, path, "canonical", PACK_TZ).status == "unchanged"


def test_line_shape_counts_across_chunk_edges(tmp_path):
    """The one-line fast path trusts line_shape: check it at every chunk boundary a CRLF can straddle."""
    from compliance.sources.text import line_shape

    path = tmp_path / "shape.csv"
    for data in (b"a\r\nb\r\n", b"a\rb\n", b"a\r", b"ab", b"\r\n\r\n\r", b"a\n\rb\r\n"):
        path.write_bytes(data)
        expected = (data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0),
                    data.count(b"\r") - data.count(b"\r\n"), data.count(b"\r\n") not in (0, data.count(b"\n")))
        for chunk in (1, 2, 3, 1 << 22):
            assert line_shape(path, chunk) == expected, (data, chunk)


def test_a_file_read_in_parallel_keeps_every_records_line(tmp_path):
    """A file of many reader ranges, read on every thread: each loaded record and each
    quarantined one keeps its physical line, in the warehouse's bounded configuration."""
    import duckdb

    rows = 400_000
    bad_lines = {7, 150_001, 399_999}  # lines whose timestamp cannot be read
    path = tmp_path / "access_events" / "access_events_2026-10.csv"
    path.parent.mkdir(parents=True)
    writer = duckdb.connect()
    writer.execute(f"""
        COPY (SELECT 'E' || i AS event_id,
                     CASE WHEN i + 2 IN ({', '.join(map(str, bad_lines))}) THEN 'soon'
                          ELSE '2026-10-05T10:00:00-04:00' END AS event_ts,
                     'A1' AS account_id, '10.0.0.1' AS client_addr, 'view' AS action,
                     'P' || (i % 997) AS subject_person_id, '' AS search_terms, 'CP-1' AS case_number,
                     'C' AS purpose_code, 1 AS result_count, 'success' AS outcome, i + 2 AS sequence_no
              FROM range({rows}) t(i)
              UNION ALL SELECT 'E10', '2026-10-05T10:00:00-04:00', 'A1', '10.0.0.1', 'view', 'P1', '', 'CP-1',
                               'C', 1, 'success', {rows + 2})
        TO '{path}' (HEADER)""")
    writer.close()
    con = warehouse.memory()
    try:
        result = ingest(con, path, "canonical", PACK_TZ)
        assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (rows + 1, rows - 3, 4)
        assert con.execute("SELECT count(*) FROM access_events WHERE source_line <> sequence_no").fetchall() == [(0,)]
        quarantined = con.execute("SELECT line_no, field, raw FROM quarantine ORDER BY line_no").fetchall()
        assert [(line, field) for line, field, _ in quarantined] == [
            (7, "event_ts"), (150_001, "event_ts"), (399_999, "event_ts"), (rows + 2, "event_id")]
        assert all(json.loads(raw)["sequence_no"] == str(line) for line, _, raw in quarantined)
    finally:
        con.close()


GOOD_ROW = "D{0},P{0},B{0},2016-03-04T10:00:00-05:00,I-247D,,declined,,,\n"


def test_a_refused_file_does_not_stop_the_others(con, tmp_path):
    """Every file ends loaded, unchanged or refused with its reason; a refused one leaves nothing."""
    folder = tmp_path / "detainers"
    write(folder / "a.csv", "")  # still being transferred
    (folder / "b.csv").write_bytes((DETAINER_HEADER + "\n" + GOOD_ROW.format(1)).encode()
                                   + b"D2,P\xe92,B2,2016-03-04T10:00:00-05:00,I-247D,,held,,,\n")
    write(folder / "c.csv", "detainer_id,person_id\nD3,P3\n")
    (folder / "d.csv").write_bytes(bytes(range(256)) * 8)
    write(folder / "e.csv", DETAINER_HEADER + "\n" + GOOD_ROW.format(5))
    results = ingest_landing(con, tmp_path)
    assert [(Path(r.path).name, r.status, r.rows_loaded, r.rows_quarantined) for r in results] == [
        ("a.csv", "refused", 0, 0), ("b.csv", "loaded", 1, 1), ("c.csv", "refused", 0, 0),
        ("d.csv", "refused", 0, 0), ("e.csv", "loaded", 1, 0)]
    reasons = {Path(r.path).name: r.reason for r in results if r.status == "refused"}
    assert reasons == {
        "a.csv": f"{folder / 'a.csv'}, line 1: empty file (0 bytes; still being transferred?): nothing was "
                 "loaded, ingest it again once it is complete",
        "c.csv": f"{folder / 'c.csv'}, line 1, field booking_id: required column missing",
        "d.csv": f"{folder / 'd.csv'}: not a text file: 8 NUL and 1024 undecodable bytes in its first 2048 "
                 "characters as utf-8 (a binary file, or another encoding such as UTF-16?); nothing was loaded"}
    assert all(r.table == "detainers" and r.batch_id is None for r in results if r.status == "refused")
    assert con.execute("SELECT detainer_id FROM detainers ORDER BY 1").fetchall() == [("D1",), ("D5",)]
    assert con.execute("SELECT line_no, raw FROM quarantine").fetchall() == [
        (3, "D2,P\\xe92,B2,2016-03-04T10:00:00-05:00,I-247D,,held,,,")]
    assert con.execute("SELECT count(*) FROM batches").fetchall() == [(2,)]
    # The transfer completes: the next ingest loads it and leaves the others as they were.
    write(folder / "a.csv", DETAINER_HEADER + "\n" + GOOD_ROW.format(6))
    assert [r.status for r in ingest_landing(con, tmp_path)] == [
        "loaded", "unchanged", "refused", "refused", "unchanged"]


def test_bad_bytes_cost_their_line_in_jsonl_gzip_and_database_logs(con, tmp_path):
    record = ('{{"detainer_id":"D{0}","person_id":"P","booking_id":"B","received_at":"2016-03-04T10:00:00-05:00",'
              '"form_type":"I-247D","attachments":"","action":"held","action_at":null}}\n')
    body = record.format(1).encode() + record.format(2).encode().replace(b'"P"', b'"P\xff"') + record.format(3).encode()
    path = tmp_path / "detainers" / "d.jsonl.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(body))
    result = ingest(con, path, "canonical", PACK_TZ)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    bad_at = body.index(b"\xff")
    assert con.execute("SELECT line_no, reason FROM quarantine").fetchall() == [
        (2, f"not valid utf-8 text: byte 0xFF at offset {bad_at}")]

    log = tmp_path / "postgresql.log"
    entry = ("2024-03-05 14:22:3{0}.000 EST [41234] ice_user@pars psql: LOG:  "
             "AUDIT: SESSION,{0},1,READ,SELECT,TABLE,public.arrest,SELECT {0},<not logged>\n")
    log.write_bytes(entry.format(1).encode() + entry.format(2).encode().replace(b"SELECT 2", b"SELECT '\xc3('")
                    + entry.format(3).encode())
    logged = ingest(con, log, "pgaudit-stderr", PACK_TZ, log_line_prefix="%m [%p] %u@%d %a: ")
    assert (logged.rows_read, logged.rows_loaded, logged.rows_quarantined) == (3, 2, 1)
    assert con.execute("SELECT statement FROM access_events ORDER BY source_line").fetchall() == [
        ("SELECT 1",), ("SELECT 3",)]
    assert con.execute("SELECT line_no, raw FROM quarantine WHERE batch_id = ?", [logged.batch_id]).fetchall() == [
        (2, entry.format(2).rstrip("\n").replace("SELECT 2", "SELECT '\\xc3('"))]


def test_decompression_stops_at_the_cap(tmp_path, monkeypatch):
    """Nothing beyond COMPLIANCE_MAX_EXPANSION times the file's size (at least 64 MiB) is decompressed."""
    from compliance.sources import text

    path = tmp_path / "detainers" / "d.csv.gz"
    path.parent.mkdir(parents=True)
    member = gzip.compress((DETAINER_HEADER + "\n" + GOOD_ROW.format(1) * 200_000).encode(), 9)
    path.write_bytes(member * 8)  # 88 MB of text from 257 kB
    read = []
    chunks = text._chunks
    monkeypatch.setattr(text, "_chunks", lambda source: (read.append(len(c)) or c for c in chunks(source)))
    monkeypatch.setenv("COMPLIANCE_MAX_EXPANSION", "1")
    with pytest.raises(ComplianceError, match="decompresses to more than 67108864 bytes"):
        with text.readable_copy(path):
            pass
    assert 64 << 20 < sum(read) <= (64 << 20) + text.CHUNK_BYTES
    monkeypatch.setenv("COMPLIANCE_MAX_EXPANSION", "none")
    with pytest.raises(ComplianceError, match="COMPLIANCE_MAX_EXPANSION must be a positive number, not 'none'"):
        with text.readable_copy(path):
            pass
