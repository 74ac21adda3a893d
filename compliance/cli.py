"""`compliance`: the command line. Every command calls the same functions as the DAGs.

Everything it prints that came from data (logs, landing files, the warehouse, a user's SQL) goes
through `compliance.display.visible`: a control or bidi character is printed as `<U+XXXX>`, never
sent to the terminal (docs/reports.md, "Hostile text")."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

from compliance.display import visible, visible_values
from compliance.errors import ComplianceError

FLAG_COLUMNS = ("flag_id", "rule_id", "rule_version", "category", "severity", "month", "subject_type",
                "subject_id", "account_id", "person_id", "event_ts", "summary", "evidence")
# What `compliance flags` adds from the review store (docs/review.md): empty while a flag is open.
REVIEW_COLUMNS = ("disposition", "reviewed_at")

# Rows `compliance query` holds at a time: its output streams whatever the result's size.
QUERY_BATCH_ROWS = 10_000


def _home(args) -> Path:
    from compliance.config import resolve_home

    return resolve_home(args.home)


def _progress(index: int, total: int, result) -> None:
    name = Path(result.path).name
    if result.status == "unchanged":
        detail = "unchanged, skipped"
    elif result.status == "refused":
        detail = "REFUSED (reason below)"
    else:
        detail = (f"{result.rows_loaded} loaded, {result.rows_quarantined} quarantined, "
                  f"{result.rows_ignored} ignored")
    print(visible(f"[{index}/{total}] {f'{result.table}/' if result.table else ''}{name}: {detail}"),
          file=sys.stderr)


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


def _check_source_zone(name: str | None) -> None:
    """--source-tz: an IANA zone name, read as the policy pack's zone is (compliance/policy/pack.py)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name is not None:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ComplianceError(f"unknown time zone {name!r}: give an IANA name such as America/New_York",
                                  field="--source-tz") from None


def cmd_ingest(args) -> int:
    from compliance import pipeline

    _check_source_zone(args.source_tz)
    home = _home(args)
    results = []
    folders = [Path(p) for p in args.paths if Path(p).is_dir()]
    files = [Path(p) for p in args.paths if not Path(p).is_dir()]
    if args.format != "canonical":
        # A folder of database logs stands for the files in it.
        files = [f for folder in folders for f in sorted(folder.iterdir())
                 if f.is_file() and not f.name.startswith(".")] + files
        folders = []
    for folder in folders:
        results += pipeline.ingest_landing(home, folder, args.policy, args.source_tz, progress=_progress)
    if files:
        results += pipeline.ingest_files(home, files, args.policy, args.source_tz, progress=_progress,
                                         format=args.format, source_name=args.source_name,
                                         log_line_prefix=args.log_line_prefix)
    totals = {k: sum(r[k] for r in results) for k in ("rows_read", "rows_loaded", "rows_quarantined",
                                                        "rows_ignored")}
    refused = [r["reason"] for r in results if r["status"] == "refused"]
    print(f"{len(results)} files: {totals['rows_read']} rows read, {totals['rows_loaded']} loaded, "
          f"{totals['rows_quarantined']} quarantined, {totals['rows_ignored']} ignored"
          + (f"; {len(refused)} refused" if refused else ""))
    late_months = sorted({month for r in results for month in r["late_months"]})
    if late_months:
        print(visible(f"late files: rows for months already reported ({', '.join(late_months)}); "
                      "re-run them with `compliance run --month YYYY-MM`"), file=sys.stderr)
    for reason in refused:
        print(visible(f"compliance: refused: {reason}"), file=sys.stderr)
    # Every other file was loaded: 1, not the 2 of an error that stopped the command.
    return 1 if refused else 0


def cmd_pull(args) -> int:
    from compliance import pipeline

    if not args.dsn:
        raise ComplianceError("give --dsn or set COMPLIANCE_PULL_DSN", field="dsn")
    results = pipeline.pull_live(_home(args), args.dsn, args.table, args.source_name, args.batch_size,
                                 args.settle_seconds, args.policy, progress=_progress)
    print(f"{len(results)} batches: {sum(r['rows_loaded'] for r in results)} events loaded, "
          f"{sum(r['rows_quarantined'] for r in results)} quarantined")
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


def _report_options(args):
    from compliance.reports.options import ReportOptions

    return ReportOptions(suppress_below=args.suppress_below, pdf_flags_per_rule=args.pdf_flags_per_rule,
                         html_flags_per_rule=args.html_flags_per_rule)


def cmd_report(args) -> int:
    from compliance import pipeline

    home = _home(args)
    for month in _months(args):
        reports = pipeline.build_reports(home, month, args.policy, _report_options(args))
        kept = "new version" if reports.created else "unchanged, kept"
        print(visible(f"{month}: {reports.version} ({kept}), {reports.status}: {reports.directory}"))
        for path in reports.files.values():
            print(f"  {visible(path.name)}")
    return 0


def cmd_deliver(args) -> int:
    from compliance import pipeline
    from compliance.delivery.recipients import addresses

    outcome = pipeline.deliver(_home(args), args.month, committee_to=addresses(args.committee),
                               ig_to=addresses(args.ig), smtp_conn_id=args.smtp_conn_id,
                               version=args.version)
    print(visible(f"{outcome['month']} {outcome['version']} ({outcome['status']}): committee "
                  f"{outcome['committee']}; IG note {outcome['ig_note']}"))
    return 0


def cmd_run(args) -> int:
    from compliance import pipeline

    home = _home(args)
    for month in _months(args):
        print(f"{month}: validating, evaluating, reporting...", file=sys.stderr, flush=True)
        result = pipeline.run_month(
            home, month, args.policy, _report_options(args),
            progress=lambda stage, seconds, outcome, month=month: print(
                visible(f"{month}: {stage} done in {seconds:.1f} s: {outcome}"), file=sys.stderr, flush=True))
        print(visible(f"{month}: {result['flags']} flags, {result['status']}, report {result['report_version']} "
                      f"{result['report']}"))
        for line in result["missing_sources"]:
            print(visible(f"{month}: missing: {line}"))
    return 0


def cmd_verify(args) -> int:
    from compliance.reports.verify import verify_version

    result = verify_version(_home(args), Path(args.report_dir), [Path(p) for p in args.public_key or []])
    for finding in result.findings:
        print(f"{result.directory}: {finding}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.findings:
        print(f"{len(result.findings)} findings: this version or what it rests on was altered", file=sys.stderr)
        return 1
    print(f"{result.directory}: intact: signature, files, evidence chain, warehouse flags and batches, "
          "landing files")
    return 0


def cmd_review(args) -> int:
    """`review set`, `review reopen`, `review list` (docs/review.md)."""
    from compliance.review.queue import LIST_COLUMNS, month_queue, record
    from compliance.review.store import open_store

    home = _home(args)
    with open_store(home) as store:
        if args.review_command == "list":
            from compliance.months import parse_month

            parse_month(args.month)
            rows = month_queue(store, home, args.month)
            if args.format == "json":
                for row in rows:
                    print(json.dumps(visible_values(row), ensure_ascii=False))
            else:
                writer = csv.writer(sys.stdout, lineterminator="\n")
                writer.writerow(LIST_COLUMNS)
                writer.writerows([_text(row[c]) for c in LIST_COLUMNS] for row in rows)
            return 0
        if args.review_command == "set":
            decisions = record(store, home, args.flag_ids, disposition=args.disposition, note=args.note,
                               reviewer=args.by, duplicate_of=args.duplicate_of)
            print(f"{len(decisions)} flags: {args.disposition}, by {args.by}")
        else:
            decisions = record(store, home, [args.flag_id], disposition=None, note=args.note, reviewer=args.by)
            print(f"{args.flag_id}: reopened by {args.by}; its earlier decisions stay in its history")
    return 0


def cmd_flags(args) -> int:
    from compliance import warehouse
    from compliance.months import parse_month

    from compliance.review.queue import month_standing

    parse_month(args.month)
    out = sys.stdout
    home = _home(args)
    decided = month_standing(home, args.month)
    with warehouse.connect(home, read_only=True) as con:
        cursor = con.execute(
            f"SELECT {', '.join(FLAG_COLUMNS)}, sha256(CAST(evidence AS VARCHAR)) FROM flags WHERE month = ? "
            "ORDER BY event_ts, rule_id, subject_id", [args.month])
        writer = None
        if args.format == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(FLAG_COLUMNS + REVIEW_COLUMNS)
        # In batches: a month may have millions of flags.
        while batch := cursor.fetchmany(QUERY_BATCH_ROWS):
            for *row, evidence_sha256 in batch:
                state = decided.get(row[0])
                # A decision stands on the rule version and evidence it was made on.
                holds = state is not None and (state["rule_version"], state["evidence_sha256"]) == (row[2], evidence_sha256)
                review = (state["disposition"], state["reviewed_at"]) if holds else ("", "")
                if writer:
                    writer.writerow([_text(v) for v in (*row, *review)])
                    continue
                record = dict(zip(FLAG_COLUMNS + REVIEW_COLUMNS, (*row, *review)))
                record["evidence"] = json.loads(record["evidence"]) if record["evidence"] else None
                out.write(json.dumps(visible_values(record), default=_json_default, ensure_ascii=False) + "\n")
    return 0


def _text(value) -> str:
    """A CSV cell for a person: control and bidi characters made visible, and text a spreadsheet
    would run as a formula neutralised (summaries quote log text)."""
    from compliance.reports.exports import neutralise

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return neutralise(visible(value)) if isinstance(value, str) else visible(str(value))


def _ingest_format(value: str) -> str:
    """--format: a name of compliance/sources/formats.py (its mapping is read when it is used)."""
    from compliance.sources.formats import format_usages, is_format_name

    if is_format_name(value):
        return value
    raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from "
                                     f"{', '.join(name for name, _ in format_usages())})")


def _json_default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def cmd_query(args) -> int:
    from compliance.config import owner_only, warehouse_path
    from compliance.warehouse import open_waiting

    path = warehouse_path(_home(args))
    if not path.exists():
        raise ComplianceError("no warehouse yet: run `compliance ingest` first", path=str(path))
    with owner_only():  # a large sort spills into the home
        return _stream_query(args, open_waiting(
            path, read_only=True, autoinstall_known_extensions=False, autoload_known_extensions=False))


def _stream_query(args, con) -> int:
    """The analyst's escape hatch reads the warehouse and nothing else: no files, network or
    extensions; its bounds are locked with the rest, and its rows stream out in batches."""
    import duckdb

    try:
        # Set after opening: DuckDB refuses a spill folder in a configuration without external access.
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        cursor = con.execute(args.sql)
        if cursor.description is None:
            return 0
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([d[0] for d in cursor.description])
        while batch := cursor.fetchmany(QUERY_BATCH_ROWS):
            writer.writerows([_text(v) for v in row] for row in batch)
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
        # Per month: access events, days with any access event (of the month's days), detainers.
        months = con.execute("""
            WITH access AS (
                SELECT strftime(event_ts, '%Y-%m') AS month, count(*) AS events,
                       count(DISTINCT CAST(event_ts AS DATE)) AS days_with_data
                FROM access_events GROUP BY ALL),
            held AS (SELECT strftime(received_at, '%Y-%m') AS month, count(*) AS detainers
                     FROM detainers GROUP BY ALL)
            SELECT month, coalesce(events, 0), coalesce(days_with_data, 0), coalesce(detainers, 0),
                   day(last_day(CAST(month || '-01' AS DATE)))
            FROM access FULL JOIN held USING (month) ORDER BY month""").fetchall()
        batches = con.execute("""
            SELECT table_name, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
                   sum(rows_ignored), max(ingested_at) FROM batches GROUP BY ALL ORDER BY 1""").fetchall()
        flags = dict(con.execute("SELECT month, count(*) FROM flags GROUP BY ALL").fetchall())
        validated = dict(con.execute("""
            SELECT month, count(*) FILTER (blocking AND NOT success) FROM validation_runs
            GROUP BY ALL""").fetchall())
        runs = con.execute("""
            SELECT step, month, finished_at, status, epoch(finished_at - started_at),
                   detail::JSON -> 'rule_seconds'
            FROM run_log ORDER BY finished_at DESC LIMIT 8""").fetchall()
        rerun = {r[0] for r in con.execute("SELECT month FROM rerun_needed").fetchall()}
    print(visible(f"home: {home}"))
    print(visible(f"policy pack: {pack.name} {pack.version}"))
    print("\nfiles by table (files, read, loaded, quarantined, ignored, last file, local time):")
    for table, files, read, loaded, quarantined, ignored, last in batches:
        print(visible(f"  {table:15} {files:4} {read:9} {loaded:9} {quarantined:6} {ignored:6}  "
                      f"{last:%Y-%m-%d %H:%M}"))
    print("\nmonths loaded (access events, local days with access data, detainers, flags, validation):")
    for month, events, days, detainers, month_days in months:
        state = ("not validated" if month not in validated
                 else "INCOMPLETE" if validated[month] else "valid")
        print(visible(f"  {month}  {events:8} events  {days:2}/{month_days} days  {detainers:5} detainers  "
                      f"{flags.get(month, '-'):>6} flags  {state}"
                      f"{'  RE-RUN NEEDED (late files)' if month in rerun else ''}"))
    print("\nlast runs (local time, seconds per stage; an evaluation also names its slowest rules):")
    for step, month, finished, status, seconds, rule_seconds in runs:
        slowest = sorted(json.loads(rule_seconds).items(), key=lambda kv: -kv[1])[:3] if rule_seconds else []
        rules = "  " + ", ".join(f"{rule} {taken:.1f} s" for rule, taken in slowest) if slowest else ""
        print(visible(f"  {finished:%Y-%m-%d %H:%M} {step:9} {month or '':8} {status:8} {seconds:7.1f} s{rules}"))
    return 0


def cmd_quarantine(args) -> int:
    from compliance import warehouse
    from compliance.quality.quarantine import quarantined_rows

    with warehouse.connect(_home(args), read_only=True) as con:
        shown, matching = quarantined_rows(con, table=args.table, path=args.file, reason=args.reason,
                                           limit=args.limit)
    if args.format == "csv":
        columns = ("table_name", "path", "line_no", "field", "reason", "raw")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in shown:
            writer.writerow([_text(row[c]) for c in columns])
        return 0
    for row in shown:
        print(visible(f"{row['path']}: line {row['line_no']}, field {row['field'] or '-'}: {row['reason']}"))
    if not shown:
        print("no quarantined rows")
    elif len(shown) < matching:
        print(f"({matching - len(shown)} more; raise --limit or narrow with --table, --file, --reason)",
              file=sys.stderr)
    return 0


def cmd_policy_check(args) -> int:
    from compliance.policy.pack import check_pack, read_pack
    from compliance.rules.catalog import load_rules, pack_exemption_problems

    pack = read_pack(args.file)
    problems = check_pack(pack) or pack_exemption_problems(pack.data, load_rules())
    for problem in problems:
        print(visible(f"{args.file}: {problem}"), file=sys.stderr)
    if not problems:
        print(f"{args.file}: ok ({len(pack.data['versions'])} versions, pack {pack.name} {pack.version})")
    return 1 if problems else 0


def cmd_rules(args) -> int:
    from compliance.rules.catalog import LOCK_PATH, load_rules, read_lock, write_lock

    if args.update_lock:
        rules, locked = load_rules(), read_lock()
        changed = [rule.rule_id for rule in rules if locked.get(rule.rule_id) != rule.version]
        removed = sorted(set(locked) - {rule.rule_id for rule in rules})
        write_lock(rules)
        print(f"{LOCK_PATH}: {len(rules)} rules; changed: {', '.join(changed) or 'none'}; "
              f"removed: {', '.join(removed) or 'none'}")
        return 0
    from compliance.review.state import precision
    from compliance.review.store import exists, open_store

    home = _home(args)
    measured = {}
    if exists(home):
        with open_store(home) as store:
            measured = {row["rule_id"]: row for row in precision(store)}
    writer = csv.writer(sys.stdout, lineterminator="\n")
    # The last four: the rule's precision from every review so far (docs/review.md).
    writer.writerow(["rule_id", "version", "category", "severity", "status", "subject_type", "title",
                     "reviewed", "confirmed", "false_positive", "false_positive_share"])
    for rule in load_rules():
        meta = rule.meta
        seen = measured.get(rule.rule_id) or {"reviewed": 0, "confirmed": 0, "false_positive": 0,
                                              "false_positive_share": None}
        share = seen["false_positive_share"]
        writer.writerow([rule.rule_id, rule.version, rule.category, rule.severity, meta["status"],
                         meta["subject_type"], meta["title"], seen["reviewed"], seen["confirmed"],
                         seen["false_positive"], "" if share is None else f"{share:.3f}"])
    return 0


def cmd_signoff(args) -> int:
    """`compliance signoff` (docs/review.md, "Sign-off")."""
    from compliance import pipeline

    done = pipeline.sign_off(_home(args), args.month, by=args.by, note=args.note, version=args.version)
    print(f"{done['month']} {done['version']}: signed off by {done['signed_by']} at {done['signed_at']}; "
          f"the committee summary can now be sent")
    return 0


def cmd_exceptions(args) -> int:
    """`compliance exceptions add|list|expire` (docs/review.md, "Exceptions")."""
    import datetime as dt

    from compliance.review.exceptions import add_exception, expire_exception, list_exceptions
    from compliance.review.store import open_store
    from compliance.rules.catalog import load_rules

    with open_store(_home(args)) as store:
        if args.exceptions_command == "add":
            added = add_exception(store, rule_id=args.rule, account_id=args.account, owner=args.owner,
                                  reason=args.reason, expires=args.expires, by=args.by,
                                  statement_pattern=args.statement_like,
                                  known_rules={rule.rule_id for rule in load_rules()})
            print(f"{added.exception_id}: {added.rule_id} on {added.account_id} until {added.expires}")
        elif args.exceptions_command == "expire":
            ended = expire_exception(store, args.exception_id, by=args.by, note=args.note)
            print(f"{ended.exception_id}: no longer applies to events from {ended.ends_on}")
        else:
            today = dt.datetime.now(dt.timezone.utc).date().isoformat()
            writer = csv.writer(sys.stdout, lineterminator="\n")
            columns = ("exception_id", "rule_id", "account_id", "statement_pattern", "owner", "reason",
                       "expires", "ends_on", "in_force", "recorded_by", "recorded_at", "expired_by",
                       "expired_at", "expired_note")
            writer.writerow(columns)
            for exception in list_exceptions(store):
                row = exception.as_dict(today)
                writer.writerow([_text(row[c]) for c in columns])
    return 0


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

    from compliance.sources.formats import format_usages

    p = sub.add_parser("ingest", help="load landing folders or files into the warehouse",
                       description="Load landing folders or files, each file as one batch. A file that "
                                   "cannot be loaded is refused with its reason and the others are "
                                   "loaded; the exit status is then 1 (2: an error before any file).")
    p.add_argument("--format", default="canonical", type=_ingest_format,
                   help="input format (default canonical); " + "; ".join(
                       f"{name}: {description}" for name, description in format_usages())
                   + "; database audit logs: docs/log-formats.md")
    p.add_argument("--source-tz", help="zone of timestamps that carry no offset (default: the pack's)")
    p.add_argument("--source-name", help="source of a database log's events and the `source` account_map "
                                         "matches (default: the format's name)")
    p.add_argument("--log-line-prefix", help="the server's log_line_prefix, for pgaudit-stderr "
                                             "(default: detected from the file among the common ones; docs/log-formats.md)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="landing folder (PATH/<table>/*.csv|*.jsonl) or files")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("pull", help="load new events from a live PostgreSQL audit table (incremental)")
    p.add_argument("--dsn", default=os.environ.get("COMPLIANCE_PULL_DSN"),
                   help="libpq connection string or URI (default: $COMPLIANCE_PULL_DSN; libpq's PG* "
                        "variables and ~/.pgpass also apply)")
    p.add_argument("--table", help="the audit table, optionally schema-qualified (default: access_events)")
    p.add_argument("--source-name", help="source of the pulled events (default: postgres-live)")
    p.add_argument("--batch-size", type=int, default=100_000, help="events per batch file (default 100000)")
    p.add_argument("--settle-seconds", type=float, default=60,
                   help="leave events younger than this for the next pull, so that rows committed late "
                        "are not skipped (default 60)")
    p.set_defaults(func=cmd_pull)

    for name, func, text in (("validate", cmd_validate, "run the data-quality suites for a month"),
                             ("evaluate", cmd_evaluate, "run every rule for a month and store its flags"),
                             ("report", cmd_report, "write the month's reports (IG HTML/PDF, committee "
                                                    "summary, flag and statutory exports) as a version"),
                             ("run", cmd_run, "validate, evaluate and report a month or a range")):
        p = sub.add_parser(name, help=text)
        months(p)
        p.set_defaults(func=func)
        if name in ("report", "run"):
            from compliance.reports.options import DEFAULT_HTML_FLAGS_PER_RULE, DEFAULT_PDF_FLAGS_PER_RULE

            p.add_argument("--suppress-below", type=int, default=None, metavar="N",
                           help="committee summary: in tables of people by their charges, suppress "
                                "counts from 1 to N-1 (default: the policy pack's committee_summary)")
            p.add_argument("--pdf-flags-per-rule", type=int, default=DEFAULT_PDF_FLAGS_PER_RULE,
                           metavar="N", help="IG report PDF: detail at most N flags per rule; the "
                                             "exports carry all (default %(default)s)")
            p.add_argument("--html-flags-per-rule", type=int, default=DEFAULT_HTML_FLAGS_PER_RULE,
                           metavar="N", help="IG report HTML: detail at most N flags per rule; the "
                                             "exports carry all (default %(default)s)")

    p = sub.add_parser("deliver", help="e-mail a month's committee summary and IG note (Airflow SMTP "
                                       "connection; an INCOMPLETE month is not sent to the committee)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--version", help="report version, e.g. v2 (default: the latest)")
    p.add_argument("--committee", default="", help="committee addresses, comma separated")
    p.add_argument("--ig", default="", help="IG staff addresses, comma separated")
    p.add_argument("--smtp-conn-id", default="smtp_default",
                   help="Airflow SMTP connection id, e.g. from AIRFLOW_CONN_<ID> (default %(default)s)")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("verify", help="check a report version's signature and files, and that the warehouse "
                                      "and landing files still hold what it was built on (docs/evidence.md)")
    p.add_argument("report_dir", metavar="REPORT_DIR", help="a version folder, <home>/reports/YYYY-MM/vN")
    p.add_argument("--public-key", action="append", metavar="FILE",
                   help="a published public key (PEM) trusted to have signed it; repeat for rotated keys "
                        "(default: the public half of the signing key, $COMPLIANCE_SIGNING_KEY or "
                        "~/.config/compliance/signing-key.pem)")
    p.set_defaults(func=cmd_verify)

    from compliance.review.store import DISPOSITIONS

    p = sub.add_parser("review", help="record IG decisions on flags, and list a month's review queue")
    review = p.add_subparsers(dest="review_command", required=True, metavar="COMMAND")
    q = review.add_parser("set", help="give flags a disposition (one decision per flag, in one transaction)")
    q.add_argument("flag_ids", nargs="+", metavar="FLAG_ID")
    q.add_argument("--disposition", required=True, choices=DISPOSITIONS)
    q.add_argument("--note", default="", help="why (required for justified)")
    q.add_argument("--by", required=True, metavar="NAME", help="the reviewer")
    q.add_argument("--duplicate-of", metavar="FLAG_ID", help="with --disposition duplicate: the flag it repeats")
    q.set_defaults(func=cmd_review)
    q = review.add_parser("reopen", help="send a decided flag back to the queue (its history is kept)")
    q.add_argument("flag_id", metavar="FLAG_ID")
    q.add_argument("--note", required=True, help="why")
    q.add_argument("--by", required=True, metavar="NAME")
    q.set_defaults(func=cmd_review)
    q = review.add_parser("list", help="a month's flags with their current decisions")
    q.add_argument("--month", required=True, help="YYYY-MM")
    q.add_argument("--format", choices=["csv", "json"], default="csv", help="csv, or json (JSON Lines)")
    q.set_defaults(func=cmd_review)

    p = sub.add_parser("signoff", help="an approver signs off a month's latest report version; "
                                        "the committee summary is sent only after")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--by", required=True, metavar="NAME", help="the approver")
    p.add_argument("--note", default="", help="a remark kept with the sign-off")
    p.add_argument("--version", help="the version to sign off, e.g. v2 (default: the latest; only the latest can be)")
    p.set_defaults(func=cmd_signoff)

    p = sub.add_parser("exceptions", help="tuning that never hides a flag: add, list or expire exceptions")
    exceptions = p.add_subparsers(dest="exceptions_command", required=True, metavar="COMMAND")
    q = exceptions.add_parser("add", help="flags of a rule on an account stand as justified until the expiry")
    q.add_argument("--rule", required=True, metavar="RULE_ID")
    q.add_argument("--account", required=True, metavar="ACCOUNT_ID")
    q.add_argument("--statement-like", metavar="PATTERN",
                   help="only flags whose statement matches this SQL LIKE pattern (% any text, _ one character)")
    q.add_argument("--owner", required=True, help="who answers for the exception")
    q.add_argument("--reason", required=True)
    q.add_argument("--expires", required=True, metavar="YYYY-MM-DD", help="applies to events before this day")
    q.add_argument("--by", required=True, metavar="NAME", help="who records it")
    q.set_defaults(func=cmd_exceptions)
    q = exceptions.add_parser("list", help="every exception, in force or not")
    q.set_defaults(func=cmd_exceptions)
    q = exceptions.add_parser("expire", help="end an exception today")
    q.add_argument("exception_id", metavar="EXCEPTION_ID")
    q.add_argument("--note", required=True, help="why")
    q.add_argument("--by", required=True, metavar="NAME")
    q.set_defaults(func=cmd_exceptions)

    from compliance.web.cli import add_parsers as add_web_parsers

    add_web_parsers(sub)  # `serve` and `users` (docs/review.md, "The web app")

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
    p.add_argument("--table", help="only rows of this landing table")
    p.add_argument("--file", help="only rows of this file (as ingested)")
    p.add_argument("--reason", help="only rows whose reason contains this text (case-insensitive)")
    p.add_argument("--format", choices=["text", "csv"], default="text",
                   help="text (one line per row), or csv with the raw record")
    p.add_argument("--limit", type=int, default=200, help="at most this many rows (default 200)")
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("rules", help="list the rules with their versions (content hashes)")
    p.add_argument("--update-lock", action="store_true",
                   help="rewrite sql/rules/version.lock.json with every rule's current version "
                        "(commit it with the rules that changed)")
    p.set_defaults(func=cmd_rules)

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
        print(f"compliance: error: {visible(str(exc))}", file=sys.stderr)
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
        print(f"compliance: internal error: {type(exc).__name__}: {visible(first)} "
              "(set COMPLIANCE_DEBUG=1 for the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
