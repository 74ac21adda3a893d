"""Access events of the PARS-like arrest database: the application log (source `pars_app`, with
a gap-free sequence_no) and the database audit log (source `pars_db`, database users mapped to
accounts through account_map).

The background raises nothing: accounts act inside their windows, city accounts only on working
days inside their work hours, every person-record action has a purpose code, a case number and a
subject who has an arrest (before the event), result counts are small, there are no wildcards,
no birthplace terms, no exports by federal accounts, no writes without can_write, one client
address per account, no failed-login bursts and no volume spikes. Planted cases each break
exactly the rules their label lists.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from .clock import ICE_CUTOFF, TZ, is_business_day, iso, local, localdate
from .model import Month, Person
from .reference import DB_USER, Account

PERSON_ACTIONS = {
    "ppd": (("search", 45), ("view", 55)),
    "night": (("search", 45), ("view", 55)),
    "ice": (("search", 55), ("view", 45)),
    "fbi": (("search", 50), ("view", 50)),
    "atf": (("search", 50), ("view", 50)),
    "psp": (("search", 50), ("view", 50)),
    "dao": (("search", 35), ("view", 65)),
    "pts": (("search", 35), ("view", 65)),
    "app": (("search", 35), ("view", 65)),
    "pbpp": (("search", 40), ("view", 60)),
    "fjd_clerk": (("view", 45), ("update", 55)),
    "pdp": (("view", 50), ("update", 50)),
}
DOCKET_ROLES = ("dao", "pts", "app", "fjd_clerk", "pbpp")

DBA_STATEMENTS = (
    ("other", "VACUUM", "VACUUM (ANALYZE) public.arrests", "public.arrests"),
    ("other", "ANALYZE", "ANALYZE public.charges", "public.charges"),
    ("ddl", "REINDEX", "REINDEX INDEX CONCURRENTLY public.arrests_person_id_idx", "public.arrests"),
    ("execute", "SELECT", "SELECT pg_size_pretty(pg_database_size('pars'))", ""),
    ("ddl", "CREATE INDEX",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS custody_events_booking_idx ON public.custody_events (booking_id)",
     "public.custody_events"),
)
ETL_STATEMENTS = (
    ("insert", "INSERT", "INSERT INTO public.arrests SELECT * FROM staging.arrests WHERE load_batch = $1",
     "public.arrests;staging.arrests"),
    ("insert", "INSERT", "INSERT INTO public.charges SELECT * FROM staging.charges WHERE load_batch = $1",
     "public.charges;staging.charges"),
    ("update", "UPDATE",
     "UPDATE public.custody_events c SET event_type = s.event_type FROM staging.custody_events s WHERE c.event_id = s.event_id AND s.load_batch = $1",
     "public.custody_events;staging.custody_events"),
)
TAMPER = (
    ("other", "SET", "SET pgaudit.log = 'none'", ""),
    ("delete", "DELETE", "DELETE FROM public.audit_log WHERE event_ts < now() - interval '2 days'",
     "public.audit_log"),
    ("ddl", "ALTER SYSTEM", "ALTER SYSTEM SET pgaudit.log = 'none'", ""),
    ("delete", "TRUNCATE", "TRUNCATE public.audit_log", "public.audit_log"),
)


def case_number(acct: Account, p: Person) -> str:
    if acct.role in DOCKET_ROLES:
        return p.docket
    if acct.role == "pdp":
        return p.booking_id
    return p.dc


def search_terms(rng, p: Person) -> str:
    k = rng.randrange(5)
    if k == 0:
        return f"last_name = '{p.last}' AND first_name = '{p.first}' AND dob = '{p.dob}'"
    if k == 1:
        return f"dc_number = '{p.dc}'"
    if k == 2:
        return f"person_id = '{p.pid}'"
    if k == 3:
        return f"docket_number = '{p.docket}'"
    return f"booking_id = '{p.booking_id}'"


class Access:
    def __init__(self, month: Month, accounts: list[Account]):
        self.month = month
        self.accounts = accounts
        self.by_id = {a.account_id: a for a in accounts}
        self.events: list[dict] = []
        self._times: dict[tuple[str, date], list[datetime]] = defaultdict(list)

    # --- raw events -------------------------------------------------------------------------------
    def event(self, t: datetime, account_id: str, addr: str, action: str, *, source: str = "pars_app",
              subject: str | None = None, terms: str | None = None, case: str | None = None,
              purpose: str | None = None, result: int | None = None, outcome: str = "success",
              source_action: str | None = None, statement: str | None = None,
              objects: str | None = None, session: str | None = None) -> dict:
        assert self.month.inside(t), (self.month.text, account_id, t)
        e = {"_t": t, "_n": len(self.events),
             "event_id": None, "event_ts": iso(t), "account_id": account_id, "client_addr": addr,
             "action": action, "subject_person_id": subject, "search_terms": terms,
             "case_number": case, "purpose_code": purpose, "result_count": result,
             "outcome": outcome, "sequence_no": None, "source": source,
             "source_action": source_action or action.upper(), "statement": statement,
             "objects": objects, "session_id": session}
        self.events.append(e)
        self._times[(account_id, localdate(t))].append(t)
        return e

    def person_action(self, rng, acct: Account, p: Person, t: datetime, session: str,
                      action: str | None = None, addr: str | None = None) -> dict:
        if action is None:
            opts = PERSON_ACTIONS[acct.role]
            action = rng.choices([a for a, _ in opts], [w for _, w in opts])[0]
        terms, result = None, 1
        if action == "search":
            terms, result = search_terms(rng, p), rng.choice((1, 1, 1, 1, 2, 2, 3, 4, 6))
            source_action, objects = "PERSON_SEARCH", "persons;arrests"
        elif action == "view":
            source_action, objects = "PERSON_VIEW", "persons;arrests;charges"
        elif action == "update":
            if acct.role == "pdp":
                source_action, objects = "CUSTODY_STATUS_UPDATE", "custody_events"
            else:
                source_action, objects = "CHARGE_DISPOSITION_UPDATE", "charges"
        elif action == "export":
            source_action, objects = "RAP_SHEET_EXPORT", "persons;arrests;charges"
        else:
            raise ValueError(action)
        purpose = "A" if action == "update" and acct.role == "fjd_clerk" else "C"
        return self.event(t, acct.account_id, addr or acct.addr, action, subject=p.pid, terms=terms,
                          case=case_number(acct, p), purpose=purpose, result=result,
                          source_action=source_action, objects=objects, session=session)

    def session_id(self, rng) -> str:
        return f"{rng.getrandbits(64):016x}"

    def at_minutes(self, d: date, minutes: float) -> datetime:
        """Local wall time `minutes` after midnight of d (may run past midnight)."""
        s = int(round(minutes * 60))
        day = d + timedelta(days=s // 86400)
        s %= 86400
        return local(day, s // 3600, (s % 3600) // 60, s % 60)

    # --- background -------------------------------------------------------------------------------
    def work_day(self, rng, acct: Account, d: date, n: int, lo: float | None = None,
                 hi: float | None = None, failed_ok: bool = True) -> int:
        """n person-record actions by acct on day d inside its work hours, in 1-2 sessions."""
        work_start, work_end = acct.hours()
        if work_end <= work_start:
            work_end += 1440
        lo = work_start + 10 if lo is None else lo
        hi = work_end - 10 if hi is None else hi
        sessions = 1 if n < 9 else 2
        counts = [n // sessions + (1 if k < n % sessions else 0) for k in range(sessions)]
        span = (hi - lo) / sessions
        made = 0
        for k, m in enumerate(counts):
            w0, w1 = lo + k * span, lo + (k + 1) * span
            s0 = rng.uniform(w0, w0 + span * 0.45)
            s1 = min(w1 - 6, s0 + max(20.0, m * rng.uniform(4, 12)))
            sid = self.session_id(rng)
            if failed_ok and rng.random() < 0.02:
                self.event(self.at_minutes(d, s0 - 0.6), acct.account_id, acct.addr, "login_failed",
                           outcome="failure", source_action="LOGIN_FAILED", session=None)
            login = self.at_minutes(d, s0)
            self.event(login, acct.account_id, acct.addr, "login", source_action="LOGIN", session=sid)
            last = s0
            for minute in sorted(rng.uniform(s0 + 0.5, s1) for _ in range(m)):
                t = self.at_minutes(d, minute)
                p = self.month.pick_subject(rng, t)
                if p is None:
                    continue
                self.person_action(rng, acct, p, t, sid)
                last = minute
                made += 1
            self.event(self.at_minutes(d, last + rng.uniform(1, 5)), acct.account_id, acct.addr,
                       "logout", source_action="LOGOUT", session=sid)
        return made

    def night_ok(self, d: date) -> bool:
        """A night shift from d 23:00 to d+1 07:00 falls on two working days of this month."""
        next_day = d + timedelta(days=1)
        return (d.weekday() <= 3 and is_business_day(d) and is_business_day(next_day)
                and next_day.month == d.month)

    def background(self) -> None:
        month = self.month
        rng = month.rng("access-background")
        for d in month.days:
            for acct in self.accounts:
                if not acct.active(d) or acct.role in ("svc", "dba"):
                    continue
                if acct.role == "night":
                    if self.night_ok(d) and acct.active(d + timedelta(days=1)):
                        self.work_day(rng, acct, d, max(1, round(acct.base * rng.uniform(0.7, 1.3))))
                    continue
                if not is_business_day(d):
                    continue
                if acct.kind == "federal_immigration" and local(d) >= ICE_CUTOFF:
                    continue
                self.work_day(rng, acct, d, max(1, round(acct.base * rng.uniform(0.7, 1.3))))
        self.etl(rng)
        self.dba(rng)

    def etl(self, rng) -> None:
        month = self.month
        svc = self.by_id["svc_pars_etl"]
        # one import per arrest, a few minutes after it, through the application
        for p in list(month.persons):
            t = p.arrest_t + timedelta(seconds=rng.randint(180, 1500))
            if t >= month.end:
                t = p.arrest_t + (month.end - p.arrest_t) / 2
            self.event(t, svc.account_id, svc.addr, "insert", subject=p.pid, case=p.dc, purpose="A",
                       result=1, source_action="ARREST_IMPORT", objects="arrests;charges",
                       session=self.session_id(rng))
        # hourly sync job in the application, two-hourly loads in the database
        t = month.start
        k = 0
        while t < month.end:
            lt = t.astimezone(TZ)
            batch = f"ETL-{lt:%Y%m%d%H}"
            ts = t + timedelta(seconds=rng.randint(5, 240))
            self.event(ts, svc.account_id, svc.addr, "execute", case=batch, purpose="A",
                       result=rng.randint(0, 40), source_action="BATCH_SYNC",
                       objects="custody_events;detainers", session=self.session_id(rng))
            if k % 2 == 0:
                action, source_action, stmt, objs = ETL_STATEMENTS[(k // 2) % len(ETL_STATEMENTS)]
                self.event(ts + timedelta(seconds=rng.randint(300, 900)), DB_USER["svc_pars_etl"],
                           svc.addr, action, source="pars_db", case=batch, purpose="A",
                           result=rng.randint(0, 60), source_action=source_action, statement=stmt,
                           objects=objs or None, session=f"{rng.getrandbits(32):08x}.{rng.getrandbits(16):04x}")
            t += timedelta(hours=1)
            k += 1

    def dba(self, rng) -> None:
        dba = self.by_id.get("OIT-DBA-0003")
        if dba is None:
            return
        for d in self.month.bizdays:
            if not dba.active(d):
                continue
            for _ in range(rng.randint(2, 4)):
                self.dba_statement(rng, dba, self.at_minutes(d, rng.uniform(9 * 60, 16 * 60)),
                                   rng.choice(DBA_STATEMENTS))

    def dba_statement(self, rng, dba: Account, t: datetime, stmt) -> dict:
        action, source_action, text, objs = stmt
        return self.event(t, DB_USER[dba.account_id], dba.addr, action, source="pars_db",
                          case=f"CHG{rng.randint(1, 9999999):07d}", purpose="A", source_action=source_action,
                          statement=text, objects=objs or None,
                          session=f"{rng.getrandbits(32):08x}.{rng.getrandbits(16):04x}")

    # --- helpers for planted cases ----------------------------------------------------------------
    def free_time(self, rng, account_id: str, d: date, lo: float, hi: float, clear_min: float,
                  tries: int = 300) -> datetime | None:
        taken = self._times.get((account_id, d), [])
        for _ in range(tries):
            t = self.at_minutes(d, rng.uniform(lo, hi))
            if all(abs((t - x).total_seconds()) > clear_min * 60 for x in taken):
                return t
        return None
