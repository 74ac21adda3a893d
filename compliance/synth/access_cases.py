"""Planted access cases, one function per category, each labelled with every category it raises.

Subjects: per-event categories label the access_event; window categories (name_fishing,
volume_spike, shared_account, failed_logins) label the account with window_start = the first event
of the planted pattern (volume_spike: local midnight of the day). The log gap is planted when
sequence numbers are assigned (generator.py).
"""
from __future__ import annotations

from datetime import date, timedelta

from .access import TAMPER, Access, case_number
from .clock import ICE_CUTOFF, TZ, iso, local, localdate
from .model import Person
from .reference import Account

AOA = "access_outside_agreement"


class Planter:
    def __init__(self, ax: Access):
        self.ax = ax
        self.mo = ax.mo
        self.rng = self.mo.rng("access-cases")
        first, last = self.mo.days[0], self.mo.days[-1]
        extra_ids = {a.account_id for a in self.mo.extra.values()}
        self.pool = [a for a in ax.accounts
                     if a.kind == "city" and a.role in ("ppd", "dao", "pts", "app")
                     and a.account_id not in extra_ids and a.active(first) and a.active(last)]
        self.rng.shuffle(self.pool)
        self.used: set[str] = set()

    # --- choosing accounts, days and times ------------------------------------------------------
    def take(self, pred) -> Account | None:
        for a in self.pool:
            if a.account_id not in self.used and pred(a):
                self.used.add(a.account_id)
                return a
        return None

    def any_city(self, pred=lambda a: True) -> Account:
        cands = [a for a in self.pool if a.account_id not in self.reserved and pred(a)]
        return self.rng.choice(cands)

    def day(self, acct: Account | None = None, min_day: int = 3, max_day: int = 31,
            pred=None) -> date | None:
        """A working day of the month (from min_day when possible) on which acct is active."""
        ok = [d for d in self.mo.bizdays
              if (acct is None or acct.active(d)) and (pred is None or pred(d))]
        days = [d for d in ok if min_day <= d.day <= max_day] or ok
        return self.rng.choice(days) if days else None

    def slot(self, acct: Account, d: date, clear: float = 3.0, lo: float | None = None,
             hi: float | None = None):
        ws, we = acct.hours()
        lo = ws + 30 if lo is None else lo
        hi = we - 30 if hi is None else hi
        t = self.ax.free_time(self.rng, acct.account_id, d, lo, hi, clear)
        if t is None:
            raise RuntimeError(f"{self.mo.text}: no free time for {acct.account_id} on {d}")
        return t

    def subject(self, t) -> Person:
        p = self.mo.pick_subject(self.rng, t)
        if p is None:
            raise RuntimeError(f"{self.mo.text}: nobody arrested before {iso(t)}")
        return p

    def federal(self, d: date) -> Account | None:
        for a in sorted(self.ax.accounts, key=lambda a: a.account_id):
            if a.kind == "federal_immigration" and a.active(d) and local(d) < ICE_CUTOFF:
                return a
        return None

    def account(self, account_id: str) -> Account | None:
        a = self.ax.by_id.get(account_id)
        return a

    # --- the plan ---------------------------------------------------------------------------------
    def run(self) -> None:
        self.fish = self.take(lambda a: a.base >= 12)
        self.fish_nm = self.take(lambda a: a.base >= 12)
        self.spike = self.take(lambda a: a.base <= 6)
        self.spike_nm = self.take(lambda a: a.base <= 6)
        self.shared = self.take(lambda a: True)
        self.shared_nm = self.take(lambda a: True)
        self.failed = self.take(lambda a: a.base >= 7)
        self.failed_nm = self.take(lambda a: True)
        self.reserved = {a.account_id for a in (self.spike, self.spike_nm) if a}
        self.outside_agreement()
        self.missing_purpose()
        self.birthplace()
        self.name_fishing()
        self.bulk()
        self.volume_spike()
        self.off_hours()
        self.non_arrest()
        self.failed_logins()
        self.unauthorized_write()
        self.export()
        self.audit_tamper()
        self.shared_account()   # last: its near miss keeps 30 minutes clear of every other event

    # --- access_outside_agreement -----------------------------------------------------------------
    def outside_agreement(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        dep = mo.extra["departing"]
        d_end = dep.end
        t = local(d_end + timedelta(days=1), 10, rng.randint(0, 50), rng.randint(0, 59))
        p = self.subject(t)
        e = ax.person_action(rng, dep, p, t, ax.session_id(rng), action="search")
        mo.label("query-day-after-access-end", "access_event", _ref(e),
                 [AOA], f"City account {dep.account_id} searched PARS on "
                 f"{d_end + timedelta(days=1)}, the day after its access_end {d_end}.")
        t = local(d_end, 18, 30, 0)
        p = self.subject(t)
        e = ax.person_action(rng, dep, p, t, ax.session_id(rng), action="view")
        mo.label("query-on-last-day-of-access", "access_event", _ref(e), [],
                 f"Near miss: {dep.account_id} viewed a record at 18:30 on {d_end}, its last day of "
                 "access (the last day is included to local midnight).")

        join = mo.extra["joining"]
        s = join.start
        t = local(s - timedelta(days=1), 15, rng.randint(0, 50), rng.randint(0, 59))
        p = self.subject(t)
        e = ax.person_action(rng, join, p, t, ax.session_id(rng), action="search")
        mo.label("query-day-before-access-start", "access_event", _ref(e), [AOA],
                 f"City account {join.account_id} searched PARS on {s - timedelta(days=1)}, the day "
                 f"before its access_start {s}.")
        t = local(s, 7, 5, 0)
        p = self.subject(t)
        e = ax.person_action(rng, join, p, t, ax.session_id(rng), action="view")
        mo.label("query-first-day-of-access", "access_event", _ref(e), [],
                 f"Near miss: {join.account_id} viewed a record at 07:05 on {s}, its first day of access.")

        ghost = mo.extra["unregistered"]
        d = self.day(min_day=4)
        t = self.slot(ghost, d)
        p = self.subject(t)
        e = ax.person_action(rng, ghost, p, t, ax.session_id(rng), action="search")
        mo.label("unregistered-account", "access_event", _ref(e), [AOA],
                 f"Account {ghost.account_id} is neither in the account registry nor mapped through "
                 "account_map, yet it searched PARS.")

        if mo.text == "2018-08":
            ice = self.account("ICE-ERO-PHL-01")
            sid = "5f2e8a61c0d94b17"
            ax.ev(local(date(2018, 8, 31), 23, 58, 30), ice.account_id, ice.addr, "login",
                  source_action="LOGIN", session=sid)
            t = local(date(2018, 8, 31), 23, 59, 59)
            p = self.subject(t)
            e = ax.person_action(rng, ice, p, t, sid, action="search")
            mo.label("ice-query-last-second-of-agreement", "access_event", _ref(e), [],
                     "Near miss: ICE searched PARS at 2018-08-31 23:59:59 local, the last second "
                     "of the agreement.")
        if mo.end > ICE_CUTOFF:
            self.ice_after_cutoff()

    def ice_after_cutoff(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        ice = self.account("ICE-ERO-PHL-01")
        if mo.text == "2018-09":
            t = local(date(2018, 9, 1), 0, 0, 0)
            e = ax.ev(t, ice.account_id, ice.addr, "search",
                      terms="last_name = 'RAMIREZ' AND first_name = 'LUIS' AND dob = '1988-02-14'",
                      case="18-24-031877", purpose="C", result=0, source_action="PERSON_SEARCH",
                      objects="persons;arrests", session="5f2e8a61c0d94b17")
            mo.label("ice-query-first-second-after-agreement", "access_event", _ref(e), [AOA],
                     "ICE searched PARS at 2018-09-01 00:00:00 local, the first second after the "
                     "agreement ended (no match, so no subject).")
            ax.ev(local(date(2018, 9, 1), 0, 1, 10), ice.account_id, ice.addr, "logout",
                  source_action="LOGOUT", session="5f2e8a61c0d94b17")
        days = [d for d in mo.bizdays if local(d) >= ICE_CUTOFF and ice.active(d)]
        pob_day = rng.choice(days) if days else None
        for d in days:
            sid = ax.session_id(rng)
            t0 = local(d, rng.randint(9, 15), rng.randint(0, 50), rng.randint(0, 59))
            e = ax.ev(t0, ice.account_id, ice.addr, "login", source_action="LOGIN", session=sid)
            mo.label("ice-login-after-agreement", "access_event", _ref(e), [AOA],
                     f"ICE account logged in to PARS on {d}, after the agreement ended 2018-08-31.")
            t = t0 + timedelta(seconds=rng.randint(40, 300))
            p = self.subject(t)
            if d == pob_day:
                e = ax.ev(t, ice.account_id, ice.addr, "search",
                          terms=f"place_of_birth <> 'US' AND arrest_date >= '{d - timedelta(days=1)}'",
                          subject=p.pid, case=p.dc, purpose="C", result=rng.randint(15, 60),
                          source_action="PERSON_SEARCH", objects="persons;arrests", session=sid)
                mo.label("ice-birthplace-search-after-agreement", "access_event", _ref(e),
                         [AOA, "birthplace_search"],
                         f"ICE searched PARS for arrestees born outside the US on {d}, after the "
                         "agreement ended.")
            else:
                e = ax.person_action(rng, ice, p, t, sid, action="search")
                mo.label("ice-query-after-agreement", "access_event", _ref(e), [AOA],
                         f"ICE searched PARS on {d}, after the agreement ended 2018-08-31.")
            ax.ev(t + timedelta(seconds=rng.randint(60, 400)), ice.account_id, ice.addr, "logout",
                  source_action="LOGOUT", session=sid)

    # --- per-event categories ---------------------------------------------------------------------
    def missing_purpose(self) -> None:
        a = self.any_city()
        d = self.day(a)
        t = self.slot(a, d)
        p = self.subject(t)
        e = self.ax.person_action(self.rng, a, p, t, self.ax.session_id(self.rng), action="search")
        e["purpose_code"] = None
        e["case_number"] = None
        self.mo.label("search-without-purpose", "access_event", _ref(e), ["missing_purpose"],
                      f"{a.account_id} searched a person record with no purpose code and no case number.")

    def birthplace(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        d = self.day(pred=lambda d: self.federal(d) is not None)
        ice = self.federal(d) if d else None
        if ice is None:
            if mo.end > ICE_CUTOFF and mo.start >= ICE_CUTOFF:
                return      # planted with the after-agreement ICE queries
            ice = self.account("PSP-K-0042")
            d = self.day(ice)
        t = self.slot(ice, d, lo=9 * 60, hi=16 * 60)
        p = self.subject(t)
        e = ax.ev(t, ice.account_id, ice.addr, "search",
                  terms=f"place_of_birth <> 'US' AND arrest_date >= '{d - timedelta(days=7)}'",
                  subject=p.pid, case=p.dc, purpose="C", result=rng.randint(20, 80),
                  source_action="PERSON_SEARCH", objects="persons;arrests",
                  session=ax.session_id(rng))
        mo.label("birthplace-search", "access_event", _ref(e), ["birthplace_search"],
                 f"{ice.account_id} searched recent arrestees by place of birth outside the US.")

    def bulk(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        d = self.day(pred=lambda d: self.federal(d) is not None)
        acct = self.federal(d) if d else None
        if acct is None:
            acct = self.account("FBI-PHL-0007")
            d = self.day(acct)
        t = self.slot(acct, d, lo=8 * 60, hi=11 * 60)
        p = self.subject(t)
        e = ax.ev(t, acct.account_id, acct.addr, "search",
                  terms=f"arrest_date >= '{d - timedelta(days=30)}' AND arrest_date < '{d}'",
                  subject=p.pid, case=p.dc, purpose="C", result=rng.randint(1200, 3500),
                  source_action="PERSON_SEARCH", objects="persons;arrests",
                  session=ax.session_id(rng))
        mo.label("bulk-sweep", "access_event", _ref(e), ["bulk_access"],
                 f"{acct.account_id} ran a sweep of all arrests of the last 30 days returning "
                 f"{e['result_count']} rows.")
        dao = self.any_city(lambda a: a.role == "dao")
        d = self.day(dao)
        t = self.slot(dao, d)
        p = self.subject(t)
        e = ax.ev(t, dao.account_id, dao.addr, "search",
                  terms="charging_unit = 'CHG' AND case_status = 'OPEN'", subject=p.pid,
                  case=p.docket, purpose="C", result=999, source_action="PERSON_SEARCH",
                  objects="persons;arrests", session=ax.session_id(rng))
        mo.label("large-search-below-bulk", "access_event", _ref(e), [],
                 f"Near miss: {dao.account_id} ran a search returning 999 rows, one below the "
                 "bulk threshold of 1000.")

    def off_hours(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        a = self.any_city(lambda a: a.work_hours == "07:00-19:00")
        d = self.day(a)
        t = local(d, 2, 30, 0)
        p = self.subject(t)
        e = ax.person_action(rng, a, p, t, ax.session_id(rng), action="search")
        mo.label("search-at-0230", "access_event", _ref(e), ["off_hours"],
                 f"{a.account_id} (work hours 07:00-19:00) searched a person record at 02:30 on a "
                 f"weekday ({d}).")
        b = self.any_city(lambda x: x.work_hours == "07:00-19:00")
        d = self.day(b)
        t = local(d, 18, 59, 0)
        p = self.subject(t)
        e = ax.person_action(rng, b, p, t, ax.session_id(rng), action="search")
        mo.label("search-at-1859", "access_event", _ref(e), [],
                 f"Near miss: {b.account_id} searched at 18:59 on {d}, inside work hours 07:00-19:00.")
        night = next((x for x in ax.accounts if x.role == "night"), None)
        if night is not None:
            days = [d for d in mo.bizdays if d.day >= 2 and ax.night_ok(d - timedelta(days=1))
                    and night.active(d) and night.active(d - timedelta(days=1))]
            if days:
                d = rng.choice(days)
                t = local(d, 2, 30, 0)
                p = self.subject(t)
                e = ax.person_action(rng, night, p, t, ax.session_id(rng), action="search")
                mo.label("night-shift-search-at-0230", "access_event", _ref(e), [],
                         f"Near miss: night-shift account {night.account_id} (work hours 23:00-07:00) "
                         f"searched at 02:30 on {d}, inside its overnight shift.")

    def non_arrest(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        a = self.any_city()
        d = self.day(a)
        t = self.slot(a, d)
        lt_year = d.year % 100
        e = ax.ev(t, a.account_id, a.addr, "view", subject=mo.bystander_id(),
                  case=f"{lt_year:02d}-{rng.choice(('03', '12', '24', '25')) }-{rng.randint(1, 99999):06d}",
                  purpose="C", result=1, source_action="PERSON_VIEW",
                  objects="persons;arrests;charges", session=ax.session_id(rng))
        mo.label("lookup-of-person-never-arrested", "access_event", _ref(e), ["non_arrest_subject"],
                 f"{a.account_id} viewed the record of a person with no arrest (a complainant or "
                 "witness).")
        # near miss: a person arrested minutes before the lookup
        b = self.any_city(lambda x: x.work_hours == "07:00-19:00")
        biz = set(mo.bizdays)
        cands = [p for p in mo.persons
                 if 8 * 60 <= _local_minutes(p.arrest_t) <= 17 * 60
                 and _localday(p.arrest_t) in biz and _localday(p.arrest_t).day >= 3
                 and b.active(_localday(p.arrest_t))]
        p = rng.choice(cands)
        t = p.arrest_t + timedelta(minutes=12)
        e = ax.person_action(rng, b, p, t, ax.session_id(rng), action="view")
        mo.label("lookup-minutes-after-arrest", "access_event", _ref(e), [],
                 f"Near miss: {b.account_id} viewed a person arrested 12 minutes earlier.")

    def unauthorized_write(self) -> None:
        a = self.any_city(lambda x: not x.can_write)
        d = self.day(a)
        t = self.slot(a, d)
        p = self.subject(t)
        e = self.ax.person_action(self.rng, a, p, t, self.ax.session_id(self.rng), action="update")
        self.mo.label("update-without-write-permission", "access_event", _ref(e),
                      ["unauthorized_write"],
                      f"{a.account_id} (can_write false) updated a charge record.")

    def export(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        d = self.day(pred=lambda d: self.federal(d) is not None)
        acct = self.federal(d) if d else None
        if acct is None:
            acct = self.account("ATF-PHL-0003")
            if acct is None or not acct.active(mo.days[0]):
                acct = self.account("FBI-PHL-0007")
            d = self.day(acct)
        t = self.slot(acct, d, lo=9 * 60, hi=16 * 60)
        p = self.subject(t)
        e = ax.person_action(rng, acct, p, t, ax.session_id(rng), action="export")
        mo.label("federal-export", "access_event", _ref(e), ["export"],
                 f"Federal account {acct.account_id} exported a rap sheet from PARS.")
        dao = self.any_city(lambda a: a.role == "dao")
        d = self.day(dao)
        t = self.slot(dao, d)
        p = self.subject(t)
        e = ax.person_action(rng, dao, p, t, ax.session_id(rng), action="export")
        mo.label("city-export", "access_event", _ref(e), [],
                 f"Near miss: the District Attorney's Office ({dao.account_id}) exported a rap sheet "
                 "for its own case (exports are flagged for federal accounts).")

    def audit_tamper(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        dba = self.account("OIT-DBA-0003")
        if dba is None or not dba.active(mo.days[-1]):
            return
        d = self.day(dba, min_day=5)
        t = self.slot(dba, d, clear=5)
        e = ax.dba_statement(rng, dba, t, TAMPER[mo.index % len(TAMPER)])
        mo.label("audit-tamper", "access_event", _ref(e), ["audit_tamper"],
                 f"Database administrator ran `{e['statement']}` on the PARS database.")

    # --- window categories ------------------------------------------------------------------------
    def name_fishing(self) -> None:
        for acct, n, slug, cats in ((self.fish, 40, "name-fishing", ["name_fishing"]),
                                    (self.fish_nm, 18, "wildcard-searches-below-threshold", [])):
            if acct is None:
                continue
            mo, ax, rng = self.mo, self.ax, self.rng
            d = self.day(acct, min_day=5)
            ws, we = acct.hours()
            hour = rng.randint(ws // 60 + 1, we // 60 - 2)
            t0 = local(d, hour, rng.randint(1, 4), rng.randint(0, 59))
            subjects = mo.distinct_subjects(rng, t0, n)
            sid = ax.session_id(rng)
            t = t0
            first = None
            for p in subjects:
                prefix = p.last[:3]
                e = ax.ev(t, acct.account_id, acct.addr, "search",
                          terms=f"last_name LIKE '{prefix}%'", subject=p.pid,
                          case=case_number(acct, subjects[0]), purpose="C",
                          result=rng.randint(6, 45), source_action="PERSON_SEARCH",
                          objects="persons;arrests", session=sid)
                first = first or e
                t += timedelta(seconds=rng.randint(60, 78))
            if cats:
                desc = (f"{acct.account_id} ran {n} wildcard name searches (LIKE 'ABC%') on {n} "
                        "different people within one hour.")
            else:
                desc = (f"Near miss: {acct.account_id} ran {n} wildcard name searches on {n} people "
                        "within one hour (threshold: more than 30).")
            mo.label(slug, "account", acct.account_id, cats, desc, window_start=t0)

    def volume_spike(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        if self.spike is not None:
            d = self.day(self.spike, min_day=22)
            n = rng.randint(120, 150)
            ax.work_day(rng, self.spike, d, n, failed_ok=False)
            mo.label("volume-spike", "account", self.spike.account_id, ["volume_spike"],
                     f"{self.spike.account_id} (about {self.spike.base:g} lookups a working day) made "
                     f"{n} extra lookups on {d}.", window_start=local(d))
        if self.spike_nm is not None:
            d = self.day(self.spike_nm, min_day=22)
            n = round(3.4 * self.spike_nm.base)
            ax.work_day(rng, self.spike_nm, d, n, failed_ok=False)
            mo.label("busy-day-below-spike", "account", self.spike_nm.account_id, [],
                     f"Near miss: {self.spike_nm.account_id} (about {self.spike_nm.base:g} lookups a "
                     f"working day) made {n} extra lookups on {d}: about 4-5 times its usual "
                     "volume, under 10 times.", window_start=local(d))

    def shared_account(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        if self.shared is not None:
            a = self.shared
            d = self.day(a)
            t0 = self.slot(a, d, clear=10)
            other = f"10.77.{rng.randint(1, 250)}.{rng.randint(2, 250)}"
            sid = ax.session_id(rng)
            p = self.subject(t0)
            ax.person_action(rng, a, p, t0, sid, action="search")
            ax.person_action(rng, a, p, t0 + timedelta(minutes=2), ax.session_id(rng),
                             action="view", addr=other)
            ax.person_action(rng, a, self.subject(t0), t0 + timedelta(minutes=4), sid, action="view")
            mo.label("one-account-two-workstations", "account", a.account_id, ["shared_account"],
                     f"{a.account_id} was used from {a.addr} and {other} within the same five minutes.",
                     window_start=t0)
        if self.shared_nm is not None:
            a = self.shared_nm
            d = self.day(a)
            t = self.slot(a, d, clear=30)
            other = f"10.77.{rng.randint(1, 250)}.{rng.randint(2, 250)}"
            ax.person_action(rng, a, self.subject(t), t, ax.session_id(rng), action="view",
                             addr=other)
            mo.label("workstation-change", "account", a.account_id, [],
                     f"Near miss: {a.account_id} used another workstation ({other}) with no other "
                     "activity within 30 minutes: one address at a time.", window_start=t)

    def failed_logins(self) -> None:
        mo, ax, rng = self.mo, self.ax, self.rng
        for acct, n, step, slug, cats in ((self.failed, 12, (20, 35), "failed-login-burst",
                                           ["failed_logins"]),
                                          (self.failed_nm, 9, (45, 55), "failed-logins-below-burst", [])):
            if acct is None:
                continue
            d = self.day(acct)
            t0 = self.slot(acct, d, clear=20)
            t = t0
            for _ in range(n):
                ax.ev(t, acct.account_id, acct.addr, "login_failed", outcome="failure",
                      source_action="LOGIN_FAILED")
                t += timedelta(seconds=rng.randint(*step))
            if cats:
                desc = f"{n} failed logins for {acct.account_id} within about six minutes."
            else:
                desc = f"Near miss: {n} failed logins for {acct.account_id} within ten minutes (threshold 10)."
            mo.label(slug, "account", acct.account_id, cats, desc, window_start=t0)


def _ref(e: dict) -> str:
    """Events get their ids after sorting; labels carry a placeholder resolved then."""
    return f"@{e['_n']}"


def _local_minutes(t) -> int:
    lt = t.astimezone(TZ)
    return lt.hour * 60 + lt.minute


def _localday(t):
    return localdate(t)


def plant(ax: Access) -> None:
    Planter(ax).run()
