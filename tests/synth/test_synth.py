"""The synthetic generator: determinism, the landing contract, and ground truth.

The label checks re-derive the categories of every detainer and every access event from the
generated files with a small, independent reading of the semantics the generator plants (the
policy versions of policies/philadelphia.yaml, 8 C.F.R. § 287.7(d), the access categories of
docs/data-contract.md, "Categories"). Labels are written by hand in the generator; these checks only make sure that what
was planted is what the labels say, and that the background raises nothing.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from compliance.errors import ComplianceError
from compliance.synth import PLANTED_CATEGORIES, generate

NY = ZoneInfo("America/New_York")
UTC = timezone.utc

HEADERS = {  # docs/data-contract.md, "Tables": required + optional columns, in contract order
    "accounts": ["account_id", "agency", "agency_kind", "access_start", "access_end", "can_write",
                 "work_hours"],
    "account_map": ["source", "db_user", "account_id"],
    "arrests": ["arrest_id", "person_id", "arrest_ts", "booking_id"],
    "charges": ["charge_id", "person_id", "booking_id", "statute", "grade", "description",
                "disposition", "disposition_date"],
    "detainers": ["detainer_id", "person_id", "booking_id", "received_at", "form_type",
                  "attachments", "action", "action_at", "notice_sent_at",
                  "judicial_warrant_signed_by"],
    "custody_events": ["event_id", "person_id", "booking_id", "event_type", "event_ts"],
    "access_events": ["event_id", "event_ts", "account_id", "client_addr", "action",
                      "subject_person_id", "search_terms", "case_number", "purpose_code",
                      "result_count", "outcome", "sequence_no", "source", "source_action",
                      "statement", "objects", "session_id"],
}
TS_COLUMNS = {"arrests": ["arrest_ts"], "detainers": ["received_at", "action_at", "notice_sent_at"],
              "custody_events": ["event_ts"]}
DETAINER_CATS = {"ineligible_hold", "ineligible_notice", "no_judicial_warrant", "hold_over_limit",
                 "unrecorded_transfer", "needs_review"}
ACCESS_EVENT_CATS = {"access_outside_agreement", "missing_purpose", "birthplace_search",
                     "bulk_access", "off_hours", "non_arrest_subject", "unauthorized_write",
                     "export", "audit_tamper", "service_account_misuse"}
WINDOW_CATS = {"name_fishing", "volume_spike", "shared_account", "failed_logins"}
ALL_CATS = DETAINER_CATS | ACCESS_EVENT_CATS | WINDOW_CATS | {"log_gap"}

RANGES = {
    "eo516": ("2016-03", "2016-04", 11),
    "eo114_start": ("2014-04", "2014-05", 5),
    "ice_cutoff": ("2018-08", "2018-09", 3),
    "dec2015": ("2015-12", "2016-01", 9),
    "pre_eo": ("2013-06", "2013-06", 2),
}


def _local(d: date, h: int = 0, m: int = 0, s: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, h, m, s, tzinfo=NY).astimezone(UTC)


EO_1_14 = _local(date(2014, 4, 16))
DEC_2015 = _local(date(2015, 12, 22))
EO_5_16 = _local(date(2016, 1, 4))
ICE_CUTOFF = _local(date(2018, 9, 1))


# --- loading ------------------------------------------------------------------------------------

class Data:
    def __init__(self, root: Path):
        self.root = root
        self.tables: dict[str, list[dict]] = {}
        self.files: dict[str, list[Path]] = {}
        for table in HEADERS:
            rows: list[dict] = []
            paths = sorted((root / table).glob("*"))
            self.files[table] = paths
            for path in paths:
                if path.suffix == ".jsonl":
                    with open(path, encoding="utf-8") as f:
                        for line in f:
                            r = json.loads(line)
                            r["_file"] = path.name
                            rows.append(r)
                else:
                    with open(path, newline="", encoding="utf-8") as f:
                        for r in csv.DictReader(f):
                            r["_file"] = path.name
                            rows.append(r)
            self.tables[table] = rows
        with open(root / "labels.jsonl", encoding="utf-8") as f:
            self.labels = [json.loads(line) for line in f]

    def months(self) -> list[str]:
        return sorted({p.stem.rsplit("_", 1)[1] for p in self.files["arrests"]})


_CACHE: dict[tuple, tuple[Data, dict]] = {}


def load(tmp_path_factory, key: str) -> tuple[Data, dict]:
    args = RANGES[key]
    if args not in _CACHE:
        out = tmp_path_factory.mktemp(key)
        counts = generate(out, *args)
        _CACHE[args] = (Data(out), counts)
    return _CACHE[args]


@pytest.fixture(scope="module", params=sorted(RANGES))
def data(request, tmp_path_factory) -> Data:
    return load(tmp_path_factory, request.param)[0]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def ldate(t: datetime) -> date:
    return t.astimezone(NY).date()


# --- an independent holiday calendar and hour counter -------------------------------------------

@lru_cache(maxsize=None)
def holidays(year: int) -> frozenset[date]:
    out = set()
    for y in (year - 1, year, year + 1):
        def nth(month, weekday, n):
            days = [date(y, month, d) for d in range(1, 32) if _valid(y, month, d)
                    and date(y, month, d).weekday() == weekday]
            return days[n] if n >= 0 else days[-1]
        fixed = [date(y, 1, 1), date(y, 7, 4), date(y, 11, 11), date(y, 12, 25)]
        if y >= 2021:
            fixed.append(date(y, 6, 19))
        for d in fixed:
            out.add(d - timedelta(days=1) if d.weekday() == 5 else
                    d + timedelta(days=1) if d.weekday() == 6 else d)
        out |= {nth(1, 0, 2), nth(2, 0, 2), nth(5, 0, -1), nth(9, 0, 0), nth(10, 0, 1), nth(11, 3, 3)}
    return frozenset(out)


def _valid(y, m, d) -> bool:
    try:
        date(y, m, d)
        return True
    except ValueError:
        return False


def working(d: date) -> bool:
    return d.weekday() < 5 and d not in holidays(d.year)


def counted_hours(start: datetime, end: datetime, excluded: list[tuple[datetime, datetime]]) -> float:
    minutes = 0
    t = start
    while t < end:
        if working(ldate(t)) and not any(a <= t < b for a, b in excluded):
            minutes += 1
        t += timedelta(minutes=1)
    return minutes / 60


# --- tests: files -------------------------------------------------------------------------------

def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, "2016-03", "2016-04", 11)
    generate(b, "2016-03", "2016-04", 11)
    generate(c, "2016-03", "2016-04", 12)
    ha, hb, hc = _hashes(a), _hashes(b), _hashes(c)
    assert ha == hb
    assert len(ha) == 2 + 5 * 2 + 1
    assert ha.keys() == hc.keys()
    monthly = [k for k in ha if k.startswith(("arrests", "charges", "detainers", "custody", "access"))]
    assert all(ha[k] != hc[k] for k in monthly)
    assert ha["labels.jsonl"] != hc["labels.jsonl"]


def test_layout_and_headers(data):
    months = data.months()
    for table in ("arrests", "charges", "detainers", "custody_events"):
        assert [p.name for p in data.files[table]] == [f"{table}_{m}.csv" for m in months]
    assert [p.name for p in data.files["access_events"]] == [f"access_events_{m}.jsonl" for m in months]
    assert [p.name for p in data.files["accounts"]] == ["accounts.csv"]
    assert [p.name for p in data.files["account_map"]] == ["account_map.csv"]
    for table, paths in data.files.items():
        for path in paths:
            text = path.read_bytes().decode("utf-8")
            assert "\r" not in text and text.endswith("\n")
            if path.suffix == ".csv":
                assert text.split("\n", 1)[0] == ",".join(HEADERS[table])
            else:
                for line in text.splitlines():
                    assert list(json.loads(line)) == HEADERS[table]


def test_timestamps_carry_the_new_york_offset(data):
    def check(value: str):
        t = datetime.fromisoformat(value)
        assert t.tzinfo is not None, value
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value), value
        assert t.utcoffset() == t.astimezone(NY).utcoffset(), value   # DST-correct local offset
    for table, cols in TS_COLUMNS.items():
        for r in data.tables[table]:
            for c in cols:
                if r[c]:
                    check(r[c])
    for e in data.tables["access_events"]:
        check(e["event_ts"])
    for lab in data.labels:
        if lab["window_start"]:
            check(lab["window_start"])
    for r in data.tables["charges"]:
        if r["disposition_date"]:
            date.fromisoformat(r["disposition_date"])
    for r in data.tables["accounts"]:
        date.fromisoformat(r["access_start"])
        assert r["can_write"] in ("true", "false")


def test_rows_fall_in_their_month_and_ids_are_unique(data):
    for table, col in (("arrests", "arrest_ts"), ("detainers", "received_at"),
                       ("custody_events", "event_ts"), ("access_events", "event_ts")):
        for r in data.tables[table]:
            assert r["_file"].endswith(ts(r[col]).astimezone(NY).strftime("%Y-%m") + Path(r["_file"]).suffix)
    for table, col in (("arrests", "arrest_id"), ("charges", "charge_id"), ("detainers", "detainer_id"),
                       ("custody_events", "event_id"), ("access_events", "event_id"),
                       ("accounts", "account_id")):
        ids = [r[col] for r in data.tables[table]]
        assert len(ids) == len(set(ids)), table


def test_labels_format_and_subjects_exist(data):
    assert [lab["case_id"] for lab in data.labels] == sorted(lab["case_id"] for lab in data.labels)
    keys = ["case_id", "month", "subject_type", "subject_id", "categories", "kind", "description",
            "window_start"]
    subjects = {
        "detainer": {r["detainer_id"] for r in data.tables["detainers"]},
        "access_event": {e["event_id"] for e in data.tables["access_events"]},
        "account": {e["account_id"] for e in data.tables["access_events"]},
        "source": {e["source"] for e in data.tables["access_events"]},
    }
    for lab in data.labels:
        assert list(lab) == keys
        assert lab["month"] in data.months()
        assert lab["subject_id"] in subjects[lab["subject_type"]], lab
        assert set(lab["categories"]) <= ALL_CATS
        assert lab["kind"] == ("violation" if lab["categories"] else "near_miss")
        assert (lab["window_start"] is not None) == (lab["subject_type"] in ("account", "source"))
        assert lab["description"]


def test_the_generator_declares_every_category_it_plants():
    assert sorted(PLANTED_CATEGORIES) == sorted(ALL_CATS)
    assert len(set(PLANTED_CATEGORIES)) == len(PLANTED_CATEGORIES)


def test_every_month_has_every_category(data):
    for month in data.months():
        labs = [lab for lab in data.labels if lab["month"] == month]
        seen = {c for lab in labs for c in lab["categories"]}
        expected = ACCESS_EVENT_CATS | WINDOW_CATS | {"log_gap", "hold_over_limit", "unrecorded_transfer"}
        if month >= "2014-04":   # the month reaches EO 1-14
            expected |= DETAINER_CATS
        assert expected <= seen, (month, expected - seen)
        assert sum(1 for lab in labs if lab["kind"] == "near_miss") >= 10


def test_boundary_cases(tmp_path_factory):
    d, _ = load(tmp_path_factory, "ice_cutoff")
    events = {e["event_id"]: e for e in d.tables["access_events"]}
    by_case = {lab["case_id"].split("-", 3)[3]: lab for lab in d.labels}
    first = events[by_case["ice-query-first-second-after-agreement"]["subject_id"]]
    assert first["event_ts"] == "2018-09-01T00:00:00-04:00" and first["account_id"].startswith("ICE")
    last = events[by_case["ice-query-last-second-of-agreement"]["subject_id"]]
    assert last["event_ts"] == "2018-08-31T23:59:59-04:00"
    assert by_case["ice-query-last-second-of-agreement"]["categories"] == []

    d, _ = load(tmp_path_factory, "eo114_start")
    det = {r["detainer_id"]: r for r in d.tables["detainers"]}
    labs = {lab["case_id"].split("-", 3)[3]: lab for lab in d.labels if lab["month"] == "2014-04"}
    assert labs["hold-day-before-eo-1-14"]["categories"] == []
    assert labs["hold-first-day-eo-1-14"]["categories"] == ["ineligible_hold", "no_judicial_warrant"]
    assert det[labs["hold-first-day-eo-1-14"]["subject_id"]]["received_at"] < "2014-04-16"

    d, _ = load(tmp_path_factory, "dec2015")
    cats = {lab["case_id"].split("-", 3)[3]: lab["categories"] for lab in d.labels}
    assert cats["notice-first-day-dec-2015"] == ["needs_review"]
    assert cats["notice-last-days-dec-2015"] == ["needs_review"]
    assert cats["notice-first-day-eo-5-16"] == ["ineligible_notice", "no_judicial_warrant"]


def test_mandatory_hard_cases_every_month(data):
    for month in data.months():
        if month < "2014-04":
            continue
        cats = {lab["case_id"].split("-", 3)[3]: lab["categories"] for lab in data.labels
                if lab["month"] == month}
        assert cats["burglary-no-person-present-held"] == ["ineligible_hold"]
        assert cats["robbery-a1iv-held"] == ["needs_review"]
        assert cats["violent-conviction-i200-only"] == ["no_judicial_warrant"]
        assert cats["eligible-hold-47h"] == []
        assert cats["eligible-i200-and-judicial-warrant"] == []


def test_application_sequence_is_gap_free_except_planted_gaps(data):
    app = [e for e in data.tables["access_events"] if e["source"] == "pars_app"]
    assert all(isinstance(e["sequence_no"], int) for e in app)
    assert all(e["sequence_no"] is None for e in data.tables["access_events"] if e["source"] != "pars_app")
    ordered = sorted(app, key=lambda e: (ts(e["event_ts"]), e["sequence_no"]))
    seqs = [e["sequence_no"] for e in ordered]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    jumps = [(a, b) for a, b in zip(ordered, ordered[1:]) if b["sequence_no"] != a["sequence_no"] + 1]
    gaps = [lab for lab in data.labels if lab["categories"] == ["log_gap"]]
    assert len(jumps) == len(gaps) == len(data.months())
    assert sorted(ts(a["event_ts"]) for a, _ in jumps) == sorted(ts(g["window_start"]) for g in gaps)
    # and no long silence in the application log
    times = [ts(e["event_ts"]) for e in ordered]
    assert max(b - a for a, b in zip(times, times[1:])) < timedelta(hours=2)


# --- tests: ground truth re-derived -------------------------------------------------------------

VIOLENT = {"18 § 2702 §§ A1", "18 § 2702 §§ A2", "18 § 3701 §§ A1I", "18 § 3701 §§ A1II",
           "18 § 3701 §§ A1III", "18 § 3124.1", "18 § 3121", "18 § 2901", "18 § 3702"}
GREY = {"18 § 3701 §§ A1IV", "18 § 2702 §§ A4", "18 § 2702 §§ A3", "18 § 6105"}
NOT_VIOLENT = {"18 § 3502 §§ A2", "18 § 3502 §§ A4", "18 § 3503 §§ A1II", "18 § 3701 §§ A1V",
               "18 § 6106 §§ A1", "35 § 780-113 §§ A30", "18 § 3921 §§ A", "18 § 3925 §§ A",
               "18 § 3929 §§ A1", "18 § 2701 §§ A1", "18 § 2705", "18 § 2706 §§ A1", "18 § 907 §§ A",
               "18 § 6108", "35 § 780-113 §§ A16", "35 § 780-113 §§ A32", "35 § 780-113 §§ A31",
               "75 § 3802 §§ A1*", "18 § 5104", "18 § 3928 §§ A", "18 § 5503 §§ A1", "18 § 5505",
               "18 § 2709 §§ A1"}
KNOWN_DISPOSITIONS = {"pending", "convicted", "acquitted", "dismissed", "withdrawn", "nolle_prossed"}
KNOWN_GRADES = {"H1", "H2", "H3", "F1", "F2", "F3", "F", "M1", "M2", "M3", "M", "S"}


def version(t: datetime) -> str:
    if t < EO_1_14:
        return "none"
    if t < DEC_2015:
        return "eo-1-14"
    if t < EO_5_16:
        return "dec-2015"
    return "eo-5-16"


def conviction_test(charges: list[dict], elig: datetime) -> str:
    """yes / no / review for the charges of one booking at release eligibility."""
    review = False
    for c in charges:
        if c["disposition"] not in KNOWN_DISPOSITIONS or c["grade"] not in KNOWN_GRADES:
            review = True
            continue
        if c["disposition"] != "convicted" or date.fromisoformat(c["disposition_date"]) > ldate(elig):
            continue
        if c["statute"] in VIOLENT and c["grade"] in ("F1", "F2", "H1", "H2"):
            return "yes"
        if c["statute"] in GREY or c["statute"] not in NOT_VIOLENT:
            review = True
    return "review" if review else "no"


def detainer_categories(d: dict, custody: list[dict], charges: list[dict]) -> set[str]:
    cats: set[str] = set()
    elig = min(ts(c["event_ts"]) for c in custody
               if c["event_type"] in ("release_ordered", "bail_posted", "sentence_complete"))
    transfers = [c for c in custody if c["event_type"] == "transferred_to_ice"]
    jw = "judicial_warrant" in d["attachments"].split(";")
    if d["action"] in ("declined", "lifted", "pending") and transfers:
        cats.add("unrecorded_transfer")
    test = conviction_test(charges, elig)
    if d["action"] in ("held", "transferred") and version(elig) != "none":
        cats |= {"no": {"ineligible_hold"}, "review": {"needs_review"}, "yes": set()}[test]
        if not jw:
            cats.add("no_judicial_warrant")
    notice = d["form_type"] == "I-247N" or d["action"] == "notified" or d["notice_sent_at"]
    if notice:
        at = ts(d["notice_sent_at"] or d["action_at"])
        v = version(at)
        if v == "dec-2015":
            if test != "yes":
                cats.add("needs_review")
        elif v != "none":
            cats |= {"no": {"ineligible_notice"}, "review": {"needs_review"}, "yes": set()}[test]
            if not jw:
                cats.add("no_judicial_warrant")
    end = min(ts(c["event_ts"]) for c in custody
              if c["event_type"] in ("released", "transferred_to_ice") and ts(c["event_ts"]) >= elig)
    starts = sorted(ts(c["event_ts"]) for c in custody if c["event_type"] == "other_hold_start")
    ends = sorted(ts(c["event_ts"]) for c in custody if c["event_type"] == "other_hold_end")
    if (end - elig) > timedelta(hours=48) and counted_hours(elig, end, list(zip(starts, ends))) > 48:
        cats.add("hold_over_limit")
    return cats


def test_detainer_labels_match_what_was_planted(data):
    custody, charges = defaultdict(list), defaultdict(list)
    booked = set()
    for c in data.tables["custody_events"]:
        custody[c["booking_id"]].append(c)
        if c["event_type"] == "booked":
            booked.add(c["booking_id"])
    assert {c["booking_id"] for c in data.tables["custody_events"]} == booked
    for c in data.tables["charges"]:
        charges[c["booking_id"]].append(c)
    labels = {lab["subject_id"]: lab for lab in data.labels if lab["subject_type"] == "detainer"}
    assert labels
    for d in data.tables["detainers"]:
        assert bool(d["judicial_warrant_signed_by"]) == ("judicial_warrant" in d["attachments"])
        got = detainer_categories(d, custody[d["booking_id"]], charges[d["booking_id"]])
        want = set(labels[d["detainer_id"]]["categories"]) if d["detainer_id"] in labels else set()
        assert got == want, (d, labels.get(d["detainer_id"]))
        if d["detainer_id"] not in labels:   # background: declined/lifted, or honoured pre EO 1-14
            assert "judicial_warrant" not in d["attachments"] and not d["notice_sent_at"]
            assert d["form_type"] != "I-247N"


def _accounts(data: Data):
    accounts = {a["account_id"]: a for a in data.tables["accounts"]}
    mapping = {(m["source"], m["db_user"]): m["account_id"] for m in data.tables["account_map"]}
    return accounts, mapping


def _in_hours(a: dict, t: datetime) -> bool:
    lt = t.astimezone(NY)
    lo, hi = (a["work_hours"] or "07:00-19:00").split("-")
    m = lt.hour * 60 + lt.minute + lt.second / 60
    lo_m, hi_m = int(lo[:2]) * 60 + int(lo[3:]), int(hi[:2]) * 60 + int(hi[3:])
    return lo_m <= m < hi_m if lo_m < hi_m else (m >= lo_m or m < hi_m)


def access_categories(e: dict, accounts: dict, mapping: dict, arrested: dict) -> set[str]:
    cats: set[str] = set()
    t = ts(e["event_ts"])
    account_id = mapping.get((e["source"], e["account_id"]), e["account_id"])
    a = accounts.get(account_id)
    act = e["action"]
    if act not in ("logout", "login_failed"):
        if a is None:
            cats.add("access_outside_agreement")
        else:
            start = _local(date.fromisoformat(a["access_start"]))
            end = (_local(date.fromisoformat(a["access_end"]) + timedelta(days=1))
                   if a["access_end"] else None)
            if t < start or (end and t >= end) or (
                    a["agency_kind"] == "federal_immigration" and t >= ICE_CUTOFF):
                cats.add("access_outside_agreement")
    # The pack exempts service accounts from missing_purpose and bulk_access, and registers the
    # ETL account's host and its 01:00-05:00 window for reading person records.
    service = a is not None and a["agency_kind"] == "service"
    if (act not in ("login", "logout", "login_failed") and (not e["purpose_code"] or not e["case_number"])
            and not service):
        cats.add("missing_purpose")
    if re.search(r"place_of_birth|birth_country|country_of_origin|citizenship|nationality",
                 e["search_terms"] or "", re.I):
        cats.add("birthplace_search")
    if (e["result_count"] or 0) >= 1000 and not service:
        cats.add("bulk_access")
    if account_id == "svc_pars_etl" and (
            e["client_addr"] != "10.20.5.11"
            or (act in ("search", "view", "export") and not 1 <= t.astimezone(NY).hour < 5)):
        cats.add("service_account_misuse")
    if (a and a["agency_kind"] == "city" and act not in ("logout", "login_failed")
            and (not working(ldate(t)) or not _in_hours(a, t))):
        cats.add("off_hours")
    subject = e["subject_person_id"]
    if subject and not (subject in arrested and arrested[subject] <= t):
        cats.add("non_arrest_subject")
    if act in ("insert", "update", "delete", "ddl", "permission") and not (a and a["can_write"] == "true"):
        cats.add("unauthorized_write")
    if act == "export" and a and a["agency_kind"] in ("federal_immigration", "federal_other"):
        cats.add("export")
    if re.search(r"audit_log|pgaudit", (e["statement"] or "") + " " + (e["objects"] or ""), re.I):
        cats.add("audit_tamper")
    return cats


def test_access_event_labels_match_what_was_planted(data):
    accounts, mapping = _accounts(data)
    arrested = {}
    for r in data.tables["arrests"]:
        arrested[r["person_id"]] = min(ts(r["arrest_ts"]), arrested.get(r["person_id"], ts(r["arrest_ts"])))
    labels = {lab["subject_id"]: lab for lab in data.labels if lab["subject_type"] == "access_event"}
    for e in data.tables["access_events"]:
        got = access_categories(e, accounts, mapping, arrested)
        want = set(labels[e["event_id"]]["categories"]) if e["event_id"] in labels else set()
        assert got == want, (e, labels.get(e["event_id"]))
        if (e["account_id"].startswith("ICE") and ts(e["event_ts"]) >= ICE_CUTOFF
                and e["action"] != "logout"):
            assert e["event_id"] in labels


def _window_flags(data: Data) -> dict[str, set[tuple[str, str]]]:
    """(category) -> {(account, month)} found by simple readings of the window rules."""
    flags: dict[str, set[tuple[str, str]]] = defaultdict(set)
    _, mapping = _accounts(data)
    by_account = defaultdict(list)
    for e in data.tables["access_events"]:
        account = mapping.get((e["source"], e["account_id"]), e["account_id"])
        by_account[account].append((ts(e["event_ts"]), e))
    for account, evs in by_account.items():
        evs.sort(key=lambda x: x[0])
        month = lambda t: t.astimezone(NY).strftime("%Y-%m")  # noqa: E731
        # shared account: two client addresses within five minutes
        for i, (t, e) in enumerate(evs):
            for t2, e2 in evs[i + 1:]:
                if t2 - t > timedelta(minutes=5):
                    break
                if e2["client_addr"] != e["client_addr"]:
                    flags["shared_account"].add((account, month(t)))
        # failed logins: >= 10 within 10 minutes
        fails = [t for t, e in evs if e["action"] == "login_failed"]
        for i, t in enumerate(fails):
            if len([u for u in fails[i:] if u - t <= timedelta(minutes=10)]) >= 10:
                flags["failed_logins"].add((account, month(t)))
        # name fishing: wildcard searches and > 30 distinct subjects in a sliding hour
        searches = [(t, e) for t, e in evs if e["action"] == "search"]
        for i, (t, e) in enumerate(searches):
            window = [x for u, x in searches[i:] if u - t < timedelta(hours=1)]
            if (any("%" in (x["search_terms"] or "") for x in window)
                    and len({x["subject_person_id"] for x in window}) > 30):
                flags["name_fishing"].add((account, month(t)))
        # volume spike: a day over 10x the mean of the days before (two readings of "mean")
        per_day = Counter(ldate(t) for t, _ in evs)
        first = min(per_day)
        day = first
        while day <= max(per_day):
            hist = (day - first).days
            if hist >= 14:
                before = [per_day.get(first + timedelta(days=k), 0) for k in range(hist)]
                calendar_mean = sum(before) / hist
                active = [n for n in before if n]
                active_mean = sum(active) / len(active)
                n = per_day.get(day, 0)
                if n > 10 * calendar_mean or n > 10 * active_mean:
                    flags["volume_spike"].add((account, day.strftime("%Y-%m")))
            day += timedelta(days=1)
    return flags


def test_window_patterns_only_where_planted(data):
    flags = _window_flags(data)
    for cat in sorted(WINDOW_CATS):
        planted = {(lab["subject_id"], lab["month"]) for lab in data.labels if cat in lab["categories"]}
        assert flags[cat] == planted, cat
    near = {(lab["subject_id"], lab["month"]) for lab in data.labels
            if lab["subject_type"] == "account" and not lab["categories"]}
    assert near and not near & set().union(*flags.values())


def test_background_access_is_routine(data):
    accounts, mapping = _accounts(data)
    labelled = {lab["subject_id"] for lab in data.labels}
    windows = [(lab["subject_id"], ts(lab["window_start"])) for lab in data.labels
               if lab["subject_type"] == "account"]
    for e in data.tables["access_events"]:
        t = ts(e["event_ts"])
        if e["event_id"] in labelled or any(
                a == e["account_id"] and w <= t < w + timedelta(hours=1) for a, w in windows):
            continue
        assert "%" not in (e["search_terms"] or "")
        assert (e["result_count"] or 0) <= 60
        assert e["action"] != "export" or accounts[e["account_id"]]["agency_kind"] == "city"


def test_bad_ranges_are_refused(tmp_path):
    with pytest.raises(ComplianceError):
        generate(tmp_path, "2016-05", "2016-04", 1)
    with pytest.raises(ComplianceError):
        generate(tmp_path, "2016-13", "2016-12", 1)
    with pytest.raises(ComplianceError):
        generate(tmp_path, "1999-12", "2000-01", 1)


def test_a_month_is_fast(tmp_path):
    import time
    t0 = time.perf_counter()
    counts = generate(tmp_path, "2017-04", "2017-04", 4)
    assert time.perf_counter() - t0 < 5
    assert 3000 <= counts["access_events"] <= 12000
    assert counts["planted_cases"] == sum(1 for _ in open(tmp_path / "labels.jsonl"))
