"""A city-scale month end to end: `compliance ingest`, then the month's run (`compliance validate`,
`evaluate`, `report`: the stages of `compliance run`) on a generated month of access events,
against DuckDB's bare load of the same file (run before and after; the faster is the baseline),
each stage in its own process with its wall time and peak RSS.

The month (2026-10, America/New_York) is generated here in SQL: 2,000 accounts (1,900 city
accounts working weekdays 08:00-18:00 from one workstation each, 100 state accounts around the
clock, so the log never falls silent), or one per 5,000 events beyond 10 million (a bigger system
has more users, each as busy: 5,000 lookups a month, about 24 an hour; with the users fixed, a
30-million-event month would have every account run 70 lookups an hour, which is name fishing
by the pack's thresholds), 500,000 arrested people, one lookup per event with purpose
and case, and about 0.4% of events planted to break exactly one rule: no purpose or case
(missing_purpose), a person with no arrest (non_arrest_subject), 5,000 records at once
(bulk_access), a city lookup at night (off_hours). Labels come from the planting, never from the
rules; the benchmark checks the flags equal them.

Environment:
- `BENCH_EVENTS`: events of the month (default 10,000,000).
- `BENCH_SIZES`: comma-separated event counts for the scaling curve instead (e.g. 1000000,3000000,
  10000000,30000000); the result then shows seconds per million events per size.
- `BENCH_FLOOD=1`: every event breaks a rule (no purpose): a month with as many flags as events.
- `BENCH_DIR`: where the landing files and warehouses go (default: a temporary folder).
The warehouse's bounds are the product's defaults (docs/operations.md, "Memory and spill") unless
COMPLIANCE_MEMORY_LIMIT says otherwise.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

MONTH = "2026-10"
MIN_ACCOUNTS, EVENTS_PER_ACCOUNT, PEOPLE = 2_000, 5_000, 500_000
# Columbus Day, 2026-10-12, is a federal holiday: the generated city traffic skips it.
HOLIDAYS = ("2026-10-12",)
PLANTED = {1: "missing_purpose", 2: "non_arrest_subject", 3: "bulk_access", 4: "off_hours"}
# `compliance run` is these three in one process; apart, each has its own peak RSS.
RUN_STAGES = ("validate", "evaluate", "report")


def generate(landing: Path, events: int, flood: bool) -> dict[str, int]:
    """Write the month's canonical landing files and its labels; planted counts per category."""
    accounts = max(MIN_ACCOUNTS, events // EVENTS_PER_ACCOUNT)
    state_accounts = accounts // 20
    for table in ("accounts", "arrests", "access_events"):
        (landing / table).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        COPY (SELECT 'A' || lpad(i::VARCHAR, 6, '0') AS account_id,
                     CASE WHEN i < {state_accounts} THEN 'State Police' ELSE 'Philadelphia Police' END AS agency,
                     CASE WHEN i < {state_accounts} THEN 'state' ELSE 'city' END AS agency_kind,
                     '2010-01-01' AS access_start, '' AS access_end, 'false' AS can_write,
                     '08:00-18:00' AS work_hours
              FROM range({accounts}) t(i))
        TO '{landing / "accounts" / "accounts.csv"}' (HEADER)""")
    con.execute(f"""
        COPY (SELECT 'R' || i AS arrest_id, 'P' || lpad(i::VARCHAR, 7, '0') AS person_id,
                     '2020-01-01T10:00:00-05:00' AS arrest_ts, 'B' || i AS booking_id
              FROM range({PEOPLE}) t(i))
        TO '{landing / "arrests" / "arrests.csv"}' (HEADER)""")
    holidays = ", ".join(f"DATE '{day}'" for day in HOLIDAYS)
    con.execute(f"""
        CREATE TABLE events AS
        WITH days AS (
            SELECT list(d ORDER BY d) AS business_days
            FROM (SELECT CAST(range AS DATE) AS d FROM range(DATE '2026-10-01', DATE '2026-11-01', INTERVAL 1 DAY))
            WHERE isodow(d) <= 5 AND d NOT IN ({holidays})),
        raw AS (
            SELECT i, i % {accounts} AS account, i % 1000 AS slot, hash(i) AS h FROM range({events}) t(i)),
        placed AS (
            SELECT *, CASE WHEN {'true' if flood else 'false'} THEN 'missing_purpose'
                           -- off-hours lookups: a quarter of one city account's, so that no
                           -- night holds enough of them to look like name fishing as well
                           WHEN slot = 4 AND (account < {state_accounts} OR (i // {accounts}) % 4 <> 0) THEN NULL
                           ELSE CASE slot {' '.join(f"WHEN {k} THEN '{c}'" for k, c in PLANTED.items())} END
                      END AS planted,
                   CASE WHEN account < {state_accounts}
                        -- the state accounts' events, spread evenly over the whole month
                        THEN TIMESTAMP '2026-10-01 00:00:00' + to_microseconds(CAST(
                             ((i // {accounts}) * {state_accounts} + account)
                             * (31 * 86400e6 * {accounts} / {state_accounts} / {events}) AS BIGINT))
                        ELSE CAST(business_days[1 + (i // {accounts}) % len(business_days)] AS TIMESTAMP)
                             + INTERVAL 8 HOUR + to_seconds(CAST(h % 36000 AS BIGINT)) END AS business_ts
            FROM raw, days)
        SELECT 'E' || i AS event_id,
               CASE WHEN planted = 'off_hours'  -- from 18:00 to 08:00 the next morning
                    THEN date_trunc('day', business_ts) + INTERVAL 18 HOUR + to_seconds(CAST(h % 50400 AS BIGINT))
                    ELSE business_ts END AS local_ts,
               'A' || lpad(account::VARCHAR, 6, '0') AS account_id,
               '10.1.' || (account // 250) || '.' || (account % 250) AS client_addr,
               CASE WHEN h % 3 = 0 THEN 'search' ELSE 'view' END AS action,
               CASE WHEN planted = 'non_arrest_subject' THEN 'X' || i
                    ELSE 'P' || lpad((h % {PEOPLE})::VARCHAR, 7, '0') END AS subject_person_id,
               CASE WHEN h % 3 = 0 THEN 'last_name=Name' || (h % 5000) ELSE '' END AS search_terms,
               CASE WHEN planted = 'missing_purpose' THEN '' ELSE 'CP-51-CR-' || (h % 900000) END AS case_number,
               CASE WHEN planted = 'missing_purpose' THEN '' ELSE 'C' END AS purpose_code,
               CASE WHEN planted = 'bulk_access' THEN 5000 ELSE 1 + h % 20 END AS result_count,
               planted
        FROM placed""")
    con.execute(f"""
        COPY (SELECT event_id, strftime(local_ts, '%Y-%m-%dT%H:%M:%S') || '-04:00' AS event_ts,
                     account_id, client_addr, action, subject_person_id, search_terms, case_number,
                     purpose_code, result_count, 'success' AS outcome,
                     row_number() OVER (ORDER BY local_ts, event_id) AS sequence_no, 'pars_app' AS source
              FROM events ORDER BY local_ts, event_id)
        TO '{landing / "access_events" / f"access_events_{MONTH}.csv"}' (HEADER)""")
    con.execute(f"""COPY (SELECT planted AS category, event_id FROM events WHERE planted IS NOT NULL)
                    TO '{landing / "labels.csv"}' (HEADER)""")
    planted = dict(con.execute("SELECT planted, count(*) FROM events WHERE planted IS NOT NULL GROUP BY ALL").fetchall())
    con.close()
    return planted


def measured(command: list[str], env: dict | None = None) -> dict:
    """Run `command` in its own process: wall seconds and its peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed ({process.returncode}):\n{output[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_gb": round(usage.ru_maxrss / 1024**2, 2)}


def bare_load(csv_path: Path, database: Path) -> dict:
    """DuckDB's own load of the file: CREATE TABLE AS SELECT * FROM read_csv, into a file."""
    code = (f"import duckdb; duckdb.connect({str(database)!r}).execute("
            f"\"CREATE TABLE access_events AS SELECT * FROM read_csv({str(csv_path)!r})\")")
    return measured([sys.executable, "-c", code])


def flags_against_labels(home: Path, landing: Path) -> dict:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        flags = dict(con.execute("SELECT category, count(*) FROM flags WHERE month = ? GROUP BY ALL", [MONTH]).fetchall())
        [(missing, extra)] = con.execute(f"""
            WITH labels AS (SELECT * FROM read_csv('{landing / "labels.csv"}')),
                 flagged AS (SELECT category, subject_id AS event_id FROM flags WHERE month = ?)
            SELECT (SELECT count(*) FROM (SELECT * FROM labels EXCEPT SELECT * FROM flagged)),
                   (SELECT count(*) FROM (SELECT * FROM flagged EXCEPT SELECT * FROM labels))""",
                                         [MONTH]).fetchall()
    finally:
        con.close()
    return {"flags_by_category": dict(sorted(flags.items())), "labels_missed": missing, "flags_unlabelled": extra}


def one_month(root: Path, events: int, flood: bool) -> dict:
    landing, home = root / f"landing-{events}", root / f"home-{events}"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    # Generated in its own process: a child's peak RSS counts its parent's memory at fork time.
    planted = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sys; from pathlib import Path; from benchmarks.bench_month import generate; "
         f"print(json.dumps(generate(Path({str(landing)!r}), {events}, {flood})))"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent).stdout.splitlines()[-1])
    csv_path = landing / "access_events" / f"access_events_{MONTH}.csv"
    cli = [sys.executable, "-m", "compliance.cli", "--home", str(home)]
    bare_before = bare_load(csv_path, root / f"bare-{events}.duckdb")
    (root / f"bare-{events}.duckdb").unlink()
    stages = {"ingest": measured(cli + ["ingest", str(landing)])}
    for stage in RUN_STAGES:
        stages[stage] = measured(cli + [stage, "--month", MONTH])
    bare_after = bare_load(csv_path, root / f"bare-{events}.duckdb")
    (root / f"bare-{events}.duckdb").unlink()
    baseline = min(bare_before["seconds"], bare_after["seconds"])
    total = sum(stage["seconds"] for stage in stages.values())
    result = {
        "events": events, "csv_gb": round(csv_path.stat().st_size / 1024**3, 2), "planted": planted,
        "bare_load": {"before": bare_before, "after": bare_after}, "stages": stages,
        "ingest_plus_run_seconds": round(total, 1),
        "ingest_plus_run_over_bare_load": round(total / baseline, 2),
        "stage_over_bare_load": {name: round(stage["seconds"] / baseline, 2) for name, stage in stages.items()},
        "peak_rss_gb": max(stage["peak_rss_gb"] for stage in stages.values()),
        "seconds_per_million_events": round(total / (events / 1e6), 1),
        **flags_against_labels(home, landing),
    }
    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    return result


def run() -> dict:
    flood = os.environ.get("BENCH_FLOOD") == "1"
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "").split(",") if s.strip()] or \
        [int(os.environ.get("BENCH_EVENTS", "10000000"))]
    chosen = os.environ.get("BENCH_DIR")
    root = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="compliance-bench-month-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        results = []
        for events in sizes:
            try:
                results.append(one_month(root, events, flood))
            except RuntimeError as exc:  # a size that fails is a result too; the others still run
                results.append({"events": events, "failed": str(exc)})
            # A long curve shows each size as it completes.
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        return {"month": MONTH, "flood": flood, "memory_limit": os.environ.get("COMPLIANCE_MEMORY_LIMIT", "default"),
                "sizes": results}
    finally:
        if not chosen:
            shutil.rmtree(root, ignore_errors=True)
