"""`compliance`: the command line. Every command calls the same functions as the DAGs."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

from compliance.errors import ComplianceError

FLAG_COLUMNS = ("flag_id", "rule_id", "rule_version", "category", "severity", "month", "subject_type",
                "subject_id", "account_id", "person_id", "event_ts", "summary", "evidence")


def _home(args) -> Path:
    from compliance.config import resolve_home

    return resolve_home(args.home)


def _progress(index: int, total: int, result) -> None:
    name = Path(result.path).name
    if result.status == "unchanged":
        detail = "unchanged, skipped"
    else:
        detail = (f"{result.rows_loaded} loaded, {result.rows_quarantined} quarantined, "
                  f"{result.rows_ignored} ignored")
    print(f"[{index}/{total}] {result.table}/{name}: {detail}", file=sys.stderr)


def _months(args) -> list[str]:
    from compliance.months import month_range, parse_month

    if args.month:
        parse_month(args.month)
        return [args.month]
    if args.from_month and args.to_month:
        return month_range(args.from_month, args.to_month)
    raise ComplianceError("give --month YYYY-MM, or --from YYYY-MM and --to YYYY-MM", field="month")


def cmd_generate(args) -> int:
    from compliance.months import month_range
    from compliance.synth import generate

    month_range(args.from_month, args.to_month)
    summary = generate(Path(args.out), args.from_month, args.to_month, args.seed)
    print(json.dumps(summary, indent=2, sort_keys=True, default=str))
    print(f"landing folder: {Path(args.out).resolve()}", file=sys.stderr)
    return 0


def cmd_ingest(args) -> int:
    from compliance import pipeline

    home = _home(args)
    results = []
    folders = [Path(p) for p in args.paths if Path(p).is_dir()]
    files = [Path(p) for p in args.paths if not Path(p).is_dir()]
    for folder in folders:
        results += pipeline.ingest_landing(home, folder, args.policy, args.source_tz, progress=_progress)
    if files:
        results += pipeline.ingest_files(home, files, args.policy, args.source_tz, progress=_progress)
    totals = {k: sum(r[k] for r in results) for k in ("rows_read", "rows_loaded", "rows_quarantined",
                                                        "rows_ignored")}
    print(f"{len(results)} files: {totals['rows_read']} rows read, {totals['rows_loaded']} loaded, "
          f"{totals['rows_quarantined']} quarantined, {totals['rows_ignored']} ignored")
    return 0


def cmd_validate(args) -> int:
    from compliance import pipeline

    home = _home(args)
    worst = 0
    for month in _months(args):
        result = pipeline.validate(home, month)
        state = "INCOMPLETE" if result["blocking_failures"] else "ok"
        print(f"{month}: {state}: {result['blocking_failures']} blocking failures, "
              f"{result['warnings']} warnings")
        worst = max(worst, 1 if result["blocking_failures"] else 0)
    return worst


def cmd_evaluate(args) -> int:
    from compliance import pipeline

    home = _home(args)
    for month in _months(args):
        print(f"{month}: {pipeline.evaluate(home, month, args.policy)} flags")
    return 0


def cmd_report(args) -> int:
    from compliance import pipeline

    home = _home(args)
    for month in _months(args):
        print(pipeline.report(home, month, args.policy))
    return 0


def cmd_run(args) -> int:
    from compliance import pipeline

    home = _home(args)
    for month in _months(args):
        print(f"{month}: validating, evaluating, reporting...", file=sys.stderr)
        result = pipeline.run_month(home, month, args.policy)
        state = "INCOMPLETE" if result["incomplete"] else "complete"
        print(f"{month}: {result['flags']} flags, {state}, report {result['report']}")
    return 0


def cmd_flags(args) -> int:
    from compliance import warehouse

    with warehouse.connect(_home(args), read_only=True) as con:
        cursor = con.execute(
            f"SELECT {', '.join(FLAG_COLUMNS)} FROM flags WHERE month = ? "
            "ORDER BY event_ts, rule_id, subject_id", [args.month])
        rows = cursor.fetchall()
    out = sys.stdout
    if args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FLAG_COLUMNS)
        for row in rows:
            writer.writerow([_text(v) for v in row])
    else:
        for row in rows:
            record = dict(zip(FLAG_COLUMNS, row))
            record["evidence"] = json.loads(record["evidence"]) if record["evidence"] else None
            out.write(json.dumps(record, default=_json_default, ensure_ascii=False) + "\n")
    return 0


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _json_default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def cmd_query(args) -> int:
    import duckdb

    from compliance.config import warehouse_path

    path = warehouse_path(_home(args))
    if not path.exists():
        raise ComplianceError("no warehouse yet: run `compliance ingest` first", path=str(path))
    # The analyst's escape hatch reads the warehouse and nothing else: no files, network or extensions.
    con = duckdb.connect(str(path), read_only=True, config={
        "enable_external_access": False, "autoinstall_known_extensions": False,
        "autoload_known_extensions": False, "lock_configuration": True})
    try:
        cursor = con.execute(args.sql)
        if cursor.description is None:
            return 0
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([d[0] for d in cursor.description])
        for row in cursor.fetchall():
            writer.writerow([_text(v) for v in row])
    except duckdb.Error as exc:
        raise ComplianceError(f"query failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return 0


def cmd_status(args) -> int:
    from compliance import warehouse
    from compliance.policy.pack import load_pack

    pack = load_pack(args.policy)
    home = _home(args)
    with warehouse.connect(home, read_only=True) as con:
        con.execute(f"SET TimeZone = '{pack.timezone}'")
        months = con.execute("""
            SELECT strftime(event_ts, '%Y-%m') AS month, count(*) FROM access_events GROUP BY ALL
            UNION ALL
            SELECT strftime(received_at, '%Y-%m'), 0 FROM detainers GROUP BY ALL""").fetchall()
        batches = con.execute("""
            SELECT table_name, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
                   sum(rows_ignored), max(ingested_at) FROM batches GROUP BY ALL ORDER BY 1""").fetchall()
        flags = dict(con.execute("SELECT month, count(*) FROM flags GROUP BY ALL").fetchall())
        validated = dict(con.execute("""
            SELECT month, count(*) FILTER (blocking AND NOT success) FROM validation_runs
            GROUP BY ALL""").fetchall())
        runs = con.execute("""
            SELECT step, month, finished_at, status FROM run_log ORDER BY finished_at DESC LIMIT 8""").fetchall()
    print(f"home: {home}")
    print(f"policy pack: {pack.name} {pack.version}")
    print("\nfiles by table (files, read, loaded, quarantined, ignored, last file, local time):")
    for table, files, read, loaded, quarantined, ignored, last in batches:
        print(f"  {table:15} {files:4} {read:9} {loaded:9} {quarantined:6} {ignored:6}  {last:%Y-%m-%d %H:%M}")
    access = {}
    for month, count in months:
        access[month] = access.get(month, 0) + count
    print("\nmonths loaded (access events, flags, validation):")
    for month in sorted(access):
        state = ("not validated" if month not in validated
                 else "INCOMPLETE" if validated[month] else "valid")
        print(f"  {month}  {access[month]:8} events  {flags.get(month, '-'):>6} flags  {state}")
    print("\nlast runs (local time):")
    for step, month, finished, status in runs:
        print(f"  {finished:%Y-%m-%d %H:%M} {step:9} {month or '':8} {status}")
    return 0


def cmd_quarantine(args) -> int:
    from compliance import warehouse

    with warehouse.connect(_home(args), read_only=True) as con:
        rows = con.execute("""
            SELECT b.path, q.line_no, q.field, q.reason FROM quarantine q JOIN batches b USING (batch_id)
            ORDER BY b.path, q.line_no LIMIT ?""", [args.limit]).fetchall()
    for path, line, field, reason in rows:
        print(f"{path}: line {line}, field {field or '-'}: {reason}")
    if not rows:
        print("no quarantined rows")
    return 0


def cmd_policy_check(args) -> int:
    from compliance.policy.pack import PolicyPack, check_pack, load_pack

    try:
        pack = load_pack(args.file)
    except ComplianceError as exc:
        print(exc, file=sys.stderr)
        return 1
    problems = check_pack(PolicyPack(pack.path, pack.data, pack.sha256))
    for problem in problems:
        print(f"{args.file}: {problem}")
    if not problems:
        print(f"{args.file}: ok ({len(pack.data['versions'])} versions, pack {pack.name} {pack.version})")
    return 1 if problems else 0


def cmd_demo(args) -> int:
    from compliance.demo import run_demo

    report = run_demo(_home(args), args.from_month, args.to_month, args.seed)
    print(f"report: {report}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compliance",
        description="Audit how a city shares arrest data with federal immigration enforcement: "
                    "ingest access logs and detainer records, validate them, flag every act or "
                    "query the policy did not allow, and report monthly.")
    parser.add_argument("--home", help="warehouse and output folder (default: $COMPLIANCE_HOME or "
                                       ".compliance/ in the checkout)")
    parser.add_argument("--policy", help="policy pack YAML (default: policies/philadelphia.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def months(p):
        p.add_argument("--month", help="one month, YYYY-MM")
        p.add_argument("--from", dest="from_month", help="first month of a range, YYYY-MM")
        p.add_argument("--to", dest="to_month", help="last month of a range, YYYY-MM")

    p = sub.add_parser("generate", help="write synthetic landing files with planted cases and labels")
    p.add_argument("--from", dest="from_month", required=True, help="first month, YYYY-MM")
    p.add_argument("--to", dest="to_month", required=True, help="last month, YYYY-MM")
    p.add_argument("--seed", type=int, default=1, help="random seed (same seed, same bytes)")
    p.add_argument("--out", required=True, help="landing folder to write")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("ingest", help="load landing folders or files into the warehouse")
    p.add_argument("--format", default="canonical", choices=["canonical"],
                   help="input format (canonical CSV/JSONL per the data contract)")
    p.add_argument("--source-tz", help="zone of timestamps that carry no offset (default: the pack's)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="landing folder (PATH/<table>/*.csv|*.jsonl) or files")
    p.set_defaults(func=cmd_ingest)

    for name, func, text in (("validate", cmd_validate, "run the data-quality suites for a month"),
                             ("evaluate", cmd_evaluate, "run every rule for a month and store its flags"),
                             ("report", cmd_report, "write the monthly HTML report"),
                             ("run", cmd_run, "validate, evaluate and report a month or a range")):
        p = sub.add_parser(name, help=text)
        months(p)
        p.set_defaults(func=func)

    p = sub.add_parser("flags", help="print a month's flags")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="csv, or json (JSON Lines)")
    p.set_defaults(func=cmd_flags)

    p = sub.add_parser("query", help="read-only SQL on the warehouse, CSV out (no file or network access)")
    p.add_argument("sql")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("status", help="months loaded, files, validation, last runs")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("quarantine", help="list quarantined rows with file, line, field and reason")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("policy", help="policy pack tools")
    policy_sub = p.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    check = policy_sub.add_parser("check", help="lint a policy pack")
    check.add_argument("file")
    check.set_defaults(func=cmd_policy_check)

    p = sub.add_parser("demo", help="generate sample months and run the real Airflow DAGs on them")
    p.add_argument("--from", dest="from_month", default="2018-08")
    p.add_argument("--to", dest="to_month", default="2018-09")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ComplianceError as exc:
        print(f"compliance: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("compliance: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a user sees one line; developers can ask for the traceback
        if os.environ.get("COMPLIANCE_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"compliance: internal error: {type(exc).__name__}: {first} "
              "(set COMPLIANCE_DEBUG=1 for the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
