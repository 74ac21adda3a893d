"""The state of one generated month: ids, rows, people, labels and derived random streams."""
from __future__ import annotations

import hashlib
import random
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from compliance.months import month_bounds, month_days, parse_month

from .clock import TZ, TZ_NAME, UTC, is_business_day, iso
from .reference import CHARGES, FIRST_NAMES, SURNAMES, Account

# Column order of every landing table (docs/data-contract.md, "Tables": required + optional columns).
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id", "agency", "agency_kind", "access_start", "access_end", "can_write",
                 "work_hours"),
    "account_map": ("source", "db_user", "account_id"),
    "arrests": ("arrest_id", "person_id", "arrest_ts", "booking_id"),
    "charges": ("charge_id", "person_id", "booking_id", "statute", "grade", "description",
                "disposition", "disposition_date"),
    "detainers": ("detainer_id", "person_id", "booking_id", "received_at", "form_type",
                  "attachments", "action", "action_at", "notice_sent_at",
                  "judicial_warrant_signed_by"),
    "custody_events": ("event_id", "person_id", "booking_id", "event_type", "event_ts"),
    "access_events": ("event_id", "event_ts", "account_id", "client_addr", "action",
                      "subject_person_id", "search_terms", "case_number", "purpose_code",
                      "result_count", "outcome", "sequence_no", "source", "source_action",
                      "statement", "objects", "session_id"),
}
MONTHLY_TABLES = ("arrests", "charges", "detainers", "custody_events", "access_events")


def month_index(month: str) -> int:
    """Months since 2000-01: ids carry it so that they never collide across months."""
    year, number = parse_month(month)
    return (year - 2000) * 12 + (number - 1)


def derive_seed(seed: int, *parts: object) -> int:
    text = "|".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@dataclass
class Person:
    pid: str
    arrest_id: str
    booking_id: str
    arrest_t: datetime       # UTC instant
    booked_t: datetime
    dc: str                  # district control number of the incident
    docket: str              # Municipal Court docket
    last: str
    first: str
    dob: str


class Month:
    """One month [first day 00:00, next first day 00:00) America/New_York."""

    def __init__(self, seed: int, text: str, extra_accounts: dict[str, Account]):
        self.seed, self.text = seed, text             # text: YYYY-MM
        self.year, self.number = parse_month(text)
        self.index = month_index(text)                # 3 digits in person ids
        # UTC instants, so that adding a timedelta adds elapsed time (see clock.local).
        self.start, self.end = (bound.astimezone(UTC) for bound in month_bounds(text, TZ_NAME))
        self.days: list[date] = month_days(text)
        self.bizdays: list[date] = [d for d in self.days if is_business_day(d)]
        self.extra = extra_accounts                   # role -> Account planted for this month
        self.rows: dict[str, list[tuple[tuple, dict]]] = {t: [] for t in MONTHLY_TABLES}
        self.labels: list[dict] = []
        self.persons: list[Person] = []
        self._arrest_times: list[datetime] | None = None
        self._n: dict[str, int] = {}

    # --- randomness and ids ---------------------------------------------------------------------
    def rng(self, name: str) -> random.Random:
        return random.Random(derive_seed(self.seed, self.text, name))

    def next(self, kind: str) -> int:
        self._n[kind] = self._n.get(kind, 0) + 1
        return self._n[kind]

    def new_ids(self) -> tuple[str, str, str]:
        n = self.next("person")
        if n > 8999:
            raise RuntimeError("more than 8999 arrests in a month")
        return (f"P{self.index:03d}{n:04d}", f"A{self.year}{self.number:02d}{n:05d}",
                f"B{self.year}-{self.number:02d}{n:04d}")

    def bystander_id(self) -> str:
        """A person id that never appears in arrests (a complainant, witness or victim)."""
        return f"P{self.index:03d}9{self.next('bystander'):03d}"

    # --- time helpers ---------------------------------------------------------------------------
    def inside(self, t: datetime) -> bool:
        return self.start <= t < self.end

    # --- rows -----------------------------------------------------------------------------------
    def add(self, table: str, t: datetime, row: dict) -> dict:
        self.rows[table].append(((t, len(self.rows[table])), row))
        return row

    def person(self, rng: random.Random, arrest_t: datetime, booked_t: datetime,
               charges: list[tuple[str, str, date | None]]) -> Person:
        """An arrestee with an arrest, a booking (booked event) and docketed charges."""
        pid, aid, bid = self.new_ids()
        lt = arrest_t.astimezone(TZ)
        district = rng.choice(("01", "02", "03", "05", "06", "09", "12", "14", "15", "16", "17",
                               "18", "19", "22", "24", "25", "26", "35", "39"))
        dc = f"{lt.year % 100:02d}-{district}-{rng.randint(1, 99999):06d}"
        docket = f"MC-51-CR-{rng.randint(1, 9999999):07d}-{lt.year}"
        age_days = rng.randint(18 * 365, 62 * 365)
        dob = (lt.date() - timedelta(days=age_days)).isoformat()
        p = Person(pid, aid, bid, arrest_t, booked_t, dc, docket, rng.choice(SURNAMES),
                   rng.choice(FIRST_NAMES), dob)
        self.persons.append(p)
        self._arrest_times = None
        self.add("arrests", arrest_t, {"arrest_id": aid, "person_id": pid,
                                       "arrest_ts": iso(arrest_t), "booking_id": bid})
        self.custody(p, "booked", booked_t)
        for key, disposition, ddate in charges:
            statute, grade, description = CHARGES[key]
            self.add("charges", booked_t, {
                "charge_id": f"C{self.year}{self.number:02d}{self.next('charge'):06d}",
                "person_id": pid, "booking_id": bid, "statute": statute, "grade": grade,
                "description": description, "disposition": disposition,
                "disposition_date": ddate.isoformat() if ddate else "",
            })
        return p

    def custody(self, p: Person, event_type: str, t: datetime) -> None:
        assert self.inside(t), (self.text, event_type, t)
        self.add("custody_events", t, {
            "event_id": f"E{self.year}{self.number:02d}{self.next('custody'):06d}",
            "person_id": p.pid, "booking_id": p.booking_id, "event_type": event_type,
            "event_ts": iso(t)})

    # --- the subject pool of access events ------------------------------------------------------
    def arrested_before(self, t: datetime) -> int:
        if self._arrest_times is None:
            self.persons.sort(key=lambda p: (p.arrest_t, p.pid))
            self._arrest_times = [p.arrest_t for p in self.persons]
        return bisect_left(self._arrest_times, t)

    def pick_subject(self, rng: random.Random, t: datetime, recent: int = 400) -> Person | None:
        k = self.arrested_before(t)
        if k == 0:
            return None
        return self.persons[rng.randrange(max(0, k - recent), k)]

    def distinct_subjects(self, rng: random.Random, t: datetime, n: int) -> list[Person]:
        k = self.arrested_before(t)
        if k < n:
            raise RuntimeError(f"{self.text}: only {k} people arrested before {iso(t)}, need {n}")
        return [self.persons[i] for i in sorted(rng.sample(range(k), n))]

    # --- ground truth ---------------------------------------------------------------------------
    def label(self, slug: str, subject_type: str, subject_id: str, categories: list[str],
              description: str, window_start: datetime | None = None) -> None:
        n = len(self.labels) + 1
        self.labels.append({
            "case_id": f"{self.text}-{n:03d}-{slug}",
            "month": self.text,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "categories": sorted(categories),
            "kind": "violation" if categories else "near_miss",
            "description": description,
            "window_start": iso(window_start) if window_start is not None else None,
        })
