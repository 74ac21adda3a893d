"""Building a month's reports with 1, 4 and 16 flagged statements of 1 MB each, without a space
in them (an ORM's `IN (1000000,1000001,...)` list), against the same month with none, in one run.

The month is the reports benchmark's 100-flag month (benchmarks/bench_reports.py, 11 earlier
months of 500 flags), plus that many `audit_tamper` flags whose summary and evidence quote the
statement, as the rule's do. Each build runs in a fresh child process, REPEATS times per case,
the cases taking turns so that a busy moment of a shared machine falls on all of them; the fastest
build of each counts. Reported per case: seconds (fastest, and every build), peak MB, IG PDF pages
and HTML size, the seconds added to the baseline, and the ratio to it. Rendering is linear when
the added seconds grow no faster than the statements.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.bench_reports import BASELINE, MONTH, build_in_child, make_home
from compliance.config import reports_dir

STATEMENT_BYTES = 1 << 20
LONG_STATEMENTS = (0, 1, 4, 16)
REPEATS = 3


def add_long_statements(home: Path, count: int) -> Path:
    from compliance import warehouse

    with warehouse.connect(home) as con:
        con.execute("""
            INSERT INTO flags
            SELECT md5('long' || i)[:20], 'audit_tamper', 'bench', 'audit_tamper', 'critical', ?,
                   'access_event', 'E-long-' || i, 'PPD-D01-0417', NULL,
                   CAST(? || '-20 03:00:00-05' AS TIMESTAMPTZ) + to_seconds(i),
                   'Account PPD-D01-0417 touched the audit trail: ' || statement,
                   json_object('reason', 'The SELECT involves pgaudit, part of the audit trail',
                               'policy_citation', 'FBI CJIS Security Policy § 5.4.5',
                               'statement', statement,
                               'source_lines', json_array(json_object('file', 'landing/pg.csv', 'line', i)))
            FROM (SELECT i, left('SELECT*FROM(persons)WHERE(person_id)IN(' || i || ',' || array_to_string(
                      list_transform(range(?), lambda x: CAST(1000000 + x AS VARCHAR)), ','), ?) AS statement
                  FROM range(?) t(i))""", [MONTH, MONTH, STATEMENT_BYTES // 8 + 1, STATEMENT_BYTES, count])
    return home


def run() -> dict:
    builds: dict[int, list[dict]] = {count: [] for count in LONG_STATEMENTS}
    with tempfile.TemporaryDirectory(prefix="bench-long-statements-") as folder:
        homes = {count: add_long_statements(make_home(Path(folder) / f"long-{count}", BASELINE), count)
                 for count in LONG_STATEMENTS}
        for _ in range(REPEATS):
            for count, home in homes.items():
                # Without its reports the home builds a first version again, not "unchanged".
                shutil.rmtree(reports_dir(home), ignore_errors=True)
                builds[count].append(build_in_child(home))
    cases = {}
    for count, built in builds.items():
        fastest = min(built, key=lambda b: b["seconds"])
        cases[count] = {"seconds": fastest["seconds"], "every_build_seconds": [b["seconds"] for b in built],
                        **{key: fastest[key] for key in ("peak_mb", "ig_pdf_pages", "ig_html_kb",
                                                         "flags_csv_kb", "flags_parquet_kb")}}
    baseline = cases[0]["seconds"]
    for count, case in cases.items():
        case["added_seconds"] = round(case["seconds"] - baseline, 2)
        case["time_ratio"] = round(case["seconds"] / baseline, 2)
    return {"statement_bytes": STATEMENT_BYTES, "other_flags": BASELINE,
            "by_long_statements": {f"{count} x 1 MB": case for count, case in cases.items()}}
