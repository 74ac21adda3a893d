"""Building all reports of a month with 10,000 flags, against a 100-flag month in the same run.

Flags are inserted by SQL (spread over the real rules, with evidence shaped like the rules'),
with 11 earlier months of 500 flags each so the trend is full. Each build runs in a fresh child
process, which reports its own time and peak memory (ru_maxrss), so one build's memory does not
hide another's. Reported: seconds, peak MB, PDF pages and sizes, and the ratios big / baseline.
"""
from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

MONTH = "2016-03"
BIG, BASELINE, EARLIER = 10_000, 100, 500


def make_home(home: Path, flags: int) -> Path:
    from compliance import warehouse
    from compliance.months import month_range
    from compliance.rules.catalog import load_rules

    rules = [(r.rule_id, r.category, r.severity) for r in load_rules()]
    months = month_range("2015-04", MONTH)
    with warehouse.connect(home) as con:
        con.execute("CREATE TEMP TABLE bench_rules (n INTEGER, rule_id VARCHAR, category VARCHAR, severity VARCHAR)")
        con.executemany("INSERT INTO bench_rules VALUES (?, ?, ?, ?)",
                        [(i, *rule) for i, rule in enumerate(rules)])
        for month in months:
            count = flags if month == MONTH else EARLIER
            con.execute("""
                INSERT INTO flags
                SELECT md5(? || i)[:20], r.rule_id, 'bench', r.category, r.severity, ?, 'detainer',
                       'D' || ? || '-' || i, 'ACCT-' || (i % 40), 'P' || (i % 3000),
                       CAST(? || '-15 12:00:00-05' AS TIMESTAMPTZ) + to_seconds(i * 7),
                       'Account ACCT-' || (i % 40) || ' ran a search outside its access: case ' || i,
                       json_object('reason', 'the agreement ended at 2018-09-01 00:00 local',
                                   'policy_citation', 'Phila. Executive Order No. 5-16 § 1',
                                   'statement', 'SELECT * FROM persons WHERE last_name = ''X' || i || '''',
                                   'search_terms', 'last_name = ''X' || i || '''',
                                   'source_lines', json_array(json_object('file',
                                       'landing/access_events/access_events_' || ? || '.jsonl', 'line', i)))
                FROM range(?) t(i) JOIN bench_rules r ON r.n = i % ?""",
                [month, month, month, month, month, count, len(rules)])
            con.execute("INSERT INTO run_log VALUES ('bench', 'evaluate', ?, now(), now(), 'success', '{}')",
                        [month])
        con.execute("INSERT INTO validation_runs VALUES (?, 'flags', 'bench', 'bench', true, true, '', '{}')",
                    [MONTH])
    return home


def _build(home: str, queue) -> None:
    import resource
    import time

    from compliance import pipeline

    started = time.perf_counter()
    reports = pipeline.build_reports(Path(home), MONTH)
    seconds = time.perf_counter() - started
    import json

    manifest = json.loads((reports.directory / "manifest.json").read_text())
    queue.put({
        "seconds": round(seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "ig_pdf_pages": manifest["pdf_pages"]["ig"],
        "committee_pdf_pages": manifest["pdf_pages"]["committee"],
        **{f"{key}_kb": round(out["bytes"] / 1024, 1) for key, out in manifest["outputs"].items()},
    })


def build_in_child(home: Path) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_build, args=(str(home), queue))
    child.start()
    result = queue.get(timeout=1800)
    child.join()
    return result


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as folder:
        baseline = build_in_child(make_home(Path(folder) / "baseline", BASELINE))
        big = build_in_child(make_home(Path(folder) / "big", BIG))
    return {
        "flags": {"big": BIG, "baseline": BASELINE, "earlier_months": EARLIER},
        "big": big,
        "baseline": baseline,
        "time_ratio": round(big["seconds"] / baseline["seconds"], 2),
        "peak_memory_ratio": round(big["peak_mb"] / baseline["peak_mb"], 2),
    }
