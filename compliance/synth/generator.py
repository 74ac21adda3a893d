"""Synthetic landing data with planted, labelled cases (ground truth).

    generate(out_dir, "2016-01", "2017-01", seed=7)

writes the canonical landing folder (docs/data-contract.md, "Landing folder"):

    out_dir/accounts/accounts.csv
    out_dir/account_map/account_map.csv
    out_dir/<table>/<table>_<YYYY-MM>.csv      arrests, charges, detainers, custody_events
    out_dir/access_events/access_events_<YYYY-MM>.jsonl
    out_dir/labels.jsonl                       one object per planted case, sorted by case_id

Stdlib only (compliance.months is too). The same seed and range give byte-identical files: every
month draws from its own random streams derived from (seed, month, purpose), iteration is over
sorted lists, and nothing reads the clock. Labels state what was planted; they are never computed by running rules.
"""
from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

from compliance.errors import ComplianceError
from compliance.months import month_days, month_range, parse_month

from . import access, access_cases, detainers, people
from .clock import TZ, is_business_day, localdate
from .model import COLUMNS, MONTHLY_TABLES, Month, derive_seed, month_index
from .reference import ACCOUNT_MAP, BASE_ACCOUNTS, DISTRICTS, Account, district_name

EXTENSIONS = {t: "csv" for t in COLUMNS} | {"access_events": "jsonl"}
LOG_GAP = "log_gap"
# Ids carry the month's index since 2000-01 (model.month_index), which must not go negative.
FIRST_MONTH, LAST_MONTH = "2000-01", "2099-12"


def _month_accounts(seed: int, month: str) -> dict[str, Account]:
    """Accounts planted for one month: one whose access ends mid-month, one whose access starts
    mid-month, and one id that is in no registry. Badge numbers encode the month index so ids
    never collide across months or with the standing registry (badges below 1000)."""
    rng = random.Random(derive_seed(seed, month, "accounts"))
    index = month_index(month)
    days = month_days(month)
    departure_days = [d for d in days if 10 <= d.day <= 20 and is_business_day(d)
                      and is_business_day(d + timedelta(days=1)) and d + timedelta(days=1) in days]
    join_days = [d for d in days if 8 <= d.day <= 18 and is_business_day(d)
                 and is_business_day(d - timedelta(days=1))]
    end = rng.choice(departure_days)
    start = rng.choice(join_days)
    d1, d2, d3 = (rng.choice(DISTRICTS) for _ in range(3))
    since = date(parse_month(month)[0] - rng.randint(3, 10), rng.randint(1, 12), rng.randint(1, 28))
    return {
        "departing": Account(f"PPD-D{d1}-{1000 + (index * 37) % 4000:04d}", district_name(d1), "city",
                             since, end, False, "07:00-19:00",
                             f"10.31.{int(d1)}.{rng.randint(100, 199)}", 5, "ppd"),
        "joining": Account(f"PPD-D{d2}-{5000 + (index * 53) % 4000:04d}", district_name(d2), "city",
                           start, None, False, "07:00-19:00",
                           f"10.31.{int(d2)}.{rng.randint(100, 199)}", 5, "ppd"),
        "unregistered": Account(f"PPD-D{d3}-{9000 + index % 1000:04d}", district_name(d3), "city",
                                date(2000, 1, 1), None, False, "07:00-19:00",
                                f"10.31.{int(d3)}.{rng.randint(200, 250)}", 5, "ppd"),
    }


def _finish_access(month: Month, access_log: access.Access, seq: int) -> int:
    """Sort the month's events, give them ids and (application log) sequence numbers, plant the
    log gap, and resolve label placeholders to event ids. Returns the next sequence number."""
    events = sorted(access_log.events, key=lambda e: (e["_t"], e["_n"]))
    rng = month.rng("log-gap")
    app = [i for i, e in enumerate(events) if e["source"] == "pars_app"]
    candidates = [k for k in range(1, len(app))
                  if 10 <= localdate(events[app[k]]["_t"]).day <= 20
                  and is_business_day(localdate(events[app[k]]["_t"]))
                  and 11 <= events[app[k]]["_t"].astimezone(TZ).hour <= 14]
    gap_at = app[rng.choice(candidates)] if candidates else None
    gap = rng.randint(3, 9)
    per_day: dict[date, int] = {}
    by_n: dict[int, str] = {}
    prev_app = None
    for i, e in enumerate(events):
        d = localdate(e["_t"])
        per_day[d] = per_day.get(d, 0) + 1
        e["event_id"] = f"AE{d:%Y%m%d}{per_day[d]:05d}"
        by_n[e["_n"]] = e["event_id"]
        if e["source"] == "pars_app":
            if i == gap_at:
                month.label("application-log-gap", "source", "pars_app", [LOG_GAP],
                            f"sequence_no of the pars_app log jumps from {seq - 1} to {seq + gap}: "
                            f"{gap} records missing after {prev_app['event_id']}.",
                            window_start=prev_app["_t"])
                seq += gap
            e["sequence_no"] = seq
            seq += 1
            prev_app = e
    for lab in month.labels:
        if lab["subject_id"].startswith("@"):
            lab["subject_id"] = by_n[int(lab["subject_id"][1:])]
    month.rows["access_events"] = [((e["_t"], e["_n"]), e) for e in events]
    return seq


def _write_csv(path: Path, table: str, rows: list[dict]) -> None:
    cols = COLUMNS[table]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r[c] for c in cols])


def _write_jsonl(path: Path, table: str, rows: list[dict]) -> None:
    cols = COLUMNS[table]
    with open(path, "w", newline="", encoding="utf-8") as f:
        for r in rows:
            obj = {c: (None if r.get(c) in (None, "") else r[c]) for c in cols}
            f.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def _account_row(a: Account) -> dict:
    return {"account_id": a.account_id, "agency": a.agency, "agency_kind": a.kind,
            "access_start": a.start.isoformat(), "access_end": a.end.isoformat() if a.end else "",
            "can_write": "true" if a.can_write else "false", "work_hours": a.work_hours}


def generate(out_dir: Path, month_from: str, month_to: str, seed: int) -> dict:
    """Write landing files for the months [month_from, month_to] (YYYY-MM, inclusive) and
    labels.jsonl; return counts per table and number of planted cases."""
    months = month_range(month_from, month_to)
    if months[0] < FIRST_MONTH or months[-1] > LAST_MONTH:
        raise ComplianceError(f"the generator writes months {FIRST_MONTH} to {LAST_MONTH}", field="month")
    out = Path(out_dir)
    for table in COLUMNS:
        (out / table).mkdir(parents=True, exist_ok=True)
    extras = {text: _month_accounts(seed, text) for text in months}
    registry = list(BASE_ACCOUNTS)
    for text in months:
        registry += [extras[text]["departing"], extras[text]["joining"]]

    counts = {t: 0 for t in COLUMNS}
    labels: list[dict] = []
    seq = 1
    for text in months:
        month = Month(seed, text, extras[text])
        people.generate(month)
        detainers.background(month)
        detainers.plant(month)
        access_log = access.Access(month, list(BASE_ACCOUNTS) + [extras[text]["departing"],
                                                                 extras[text]["joining"]])
        access_log.background()
        access_cases.plant(access_log)
        seq = _finish_access(month, access_log, seq)
        for table in MONTHLY_TABLES:
            rows = [r for _, r in sorted(month.rows[table], key=lambda keyed: keyed[0])]
            path = out / table / f"{table}_{month.text}.{EXTENSIONS[table]}"
            if EXTENSIONS[table] == "jsonl":
                _write_jsonl(path, table, rows)
            else:
                _write_csv(path, table, rows)
            counts[table] += len(rows)
        labels += month.labels

    accounts = [_account_row(a) for a in registry]
    _write_csv(out / "accounts" / "accounts.csv", "accounts", accounts)
    counts["accounts"] = len(accounts)
    account_map_rows = [{"source": s, "db_user": u, "account_id": a} for s, u, a in ACCOUNT_MAP]
    _write_csv(out / "account_map" / "account_map.csv", "account_map", account_map_rows)
    counts["account_map"] = len(account_map_rows)

    labels.sort(key=lambda lab: lab["case_id"])
    with open(out / "labels.jsonl", "w", newline="", encoding="utf-8") as f:
        for lab in labels:
            f.write(json.dumps(lab, ensure_ascii=False, separators=(",", ":")) + "\n")
    counts["planted_cases"] = len(labels)
    counts["violations"] = sum(1 for lab in labels if lab["kind"] == "violation")
    counts["near_misses"] = len(labels) - counts["violations"]
    return counts
