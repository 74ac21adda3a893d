"""What the command line prints shows control and bidi characters as `<U+XXXX>`
(compliance/display.py): a stored account cannot read as another, and no escape sequence from
the data reaches the terminal. Every format of `flags`, `query`, `status`, `quarantine` and the
one-line errors."""
from __future__ import annotations

import csv
import io
import json

from support import DETAINER_HEADER, write

from compliance import cli, pipeline, warehouse

MONTH = "2016-03"
SPOOFED_ACCOUNT = "PPD-D01-0417\u202eresu_eci"
SHOWN_ACCOUNT = "PPD-D01-0417<U+202E>resu_eci"
SUMMARY = f"Account {SPOOFED_ACCOUNT} touched the audit trail: \x1b[2J\x1b]0;owned\x07SET pgaudit.log='none'\x00"
SHOWN_SUMMARY = (f"Account {SHOWN_ACCOUNT} touched the audit trail: <U+001B>[2J<U+001B>]0;owned<U+0007>"
                 "SET pgaudit.log='none'<U+0000>")
RAW = ("\u202e", "\u2066", "\x1b", "\x00", "\x07")


def _raw_in(text: str) -> list[str]:
    return [c for c in RAW if c in text]


def _home_with_tricks(home):
    with warehouse.connect(home) as con:
        con.execute("INSERT INTO flags VALUES ('f1', 'audit_tamper', 'v1', 'audit_tamper', 'critical', ?, "
                    "'access_event', 'E1', ?, NULL, '2016-03-10 12:00:00-05', ?, ?)",
                    [MONTH, SPOOFED_ACCOUNT, SUMMARY,
                     json.dumps({"statement": "SET pgaudit.log='none'\u2066\x00", "reason\u202e": "x"},
                                ensure_ascii=False)])
        con.execute("INSERT INTO run_log VALUES ('r1', 'evaluate', ?, '2026-01-01 00:00:00Z', "
                    "'2026-01-01 00:00:03Z', 'success', ?)",
                    [MONTH, json.dumps({"rule_seconds": {"audit_tamper\u202e\x1b[2J": 2.5}})])
    return home


def test_flags_csv_and_json_show_the_account_and_summary_escaped(home, capsys):
    _home_with_tricks(home)
    assert cli.main(["--home", str(home), "flags", "--month", MONTH, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert _raw_in(out) == []
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["account_id"], row["summary"]) == (SHOWN_ACCOUNT, SHOWN_SUMMARY)
    # Evidence is JSON text, whose own escape writes the NUL; the isolate JSON leaves as it is.
    assert "SET pgaudit.log='none'<U+2066>\\u0000" in row["evidence"]

    assert cli.main(["--home", str(home), "flags", "--month", MONTH, "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert _raw_in(out) == [] and "\\u001b" not in out and "\\u0000" not in out
    record = json.loads(out)
    assert (record["account_id"], record["summary"]) == (SHOWN_ACCOUNT, SHOWN_SUMMARY)
    assert record["evidence"] == {"statement": "SET pgaudit.log='none'<U+2066><U+0000>", "reason<U+202E>": "x"}


def test_query_shows_stored_and_computed_controls_escaped(home, capsys):
    _home_with_tricks(home)
    assert cli.main(["--home", str(home), "query",
                     "SELECT account_id, summary, chr(27) || '[31mred' AS computed FROM flags"]) == 0
    out = capsys.readouterr().out
    assert _raw_in(out) == []
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row == {"account_id": SHOWN_ACCOUNT, "summary": SHOWN_SUMMARY, "computed": "<U+001B>[31mred"}


def test_status_shows_rule_names_escaped(home, capsys):
    _home_with_tricks(home)
    assert cli.main(["--home", str(home), "status"]) == 0
    out = capsys.readouterr().out
    assert _raw_in(out) == [] and "audit_tamper<U+202E><U+001B>[2J 2.5 s" in out


def test_quarantine_listing_shows_file_and_reason_escaped(home, tmp_path, capsys):
    path = write(tmp_path / "landing" / "detainers" / "d\u202evsc.csv",
                 f"{DETAINER_HEADER}\nD1,P1,B1,\x1b[2J\u2066now,I-247D,,declined,,,\n")
    pipeline.ingest_files(home, [path])
    capsys.readouterr()
    assert cli.main(["--home", str(home), "quarantine"]) == 0
    out = capsys.readouterr().out
    assert _raw_in(out) == []
    assert out.startswith(f"{tmp_path}/landing/detainers/d<U+202E>vsc.csv: line 2, field received_at:")
    assert out.endswith("<U+001B>[2J<U+2066>now\n")
    assert cli.main(["--home", str(home), "quarantine", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert _raw_in(out) == []
    [row] = list(csv.DictReader(io.StringIO(out)))
    # The raw record is JSON, which escapes ESC itself; the isolate it leaves as it is.
    assert row["path"].endswith("d<U+202E>vsc.csv") and "[2J<U+2066>now" in row["raw"]


def test_a_one_line_error_shows_the_file_name_escaped(tmp_path, capsys):
    missing = tmp_path / "pack\u202elmay.\x1b[2J"
    assert cli.main(["policy", "check", str(missing)]) == 2
    err = capsys.readouterr().err
    assert _raw_in(err) == [] and "pack<U+202E>lmay.<U+001B>[2J" in err and err.count("\n") == 1
