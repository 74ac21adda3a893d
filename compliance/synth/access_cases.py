"""Planted access cases: one planter per category, named after it, each case labelled with every
category it raises.

Subjects: per-event categories label the access_event; window categories (name_fishing,
volume_spike, shared_account, failed_logins) label the account with window_start = the first event
of the planted pattern (volume_spike: local midnight of the day). The log gap is planted when
sequence numbers are assigned (generator.py).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from .access import TAMPER, Access, case_number
from .clock import ICE_CUTOFF, TZ, iso, local, localdate
from .model import Person
from .reference import DB_USER, Account

OUTSIDE_AGREEMENT = "access_outside_agreement"
# The planters, which are the Planter methods of these names, in the order they run: they share
# one random stream, so the order fixes the output. shared_account runs last: its near miss keeps
# 30 minutes clear of every other event.
PLANTING_ORDER = (
    OUTSIDE_AGREEMENT, "missing_purpose", "birthplace_search", "name_fishing", "bulk_access",
    "volume_spike", "off_hours", "non_arrest_subject", "failed_logins", "unauthorized_write",
    "export", "audit_tamper", "shared_account", "service_account_misuse",
)


class Planter:
    def __init__(self, access_log: Access):
        self.access_log = access_log
        self.month = access_log.month
        self.rng = self.month.rng("access-cases")
        first, last = self.month.days[0], self.month.days[-1]
        extra_ids = {a.account_id for a in self.month.extra.values()}
        self.pool = [a for a in access_log.accounts
                     if a.kind == "city" and a.role in ("ppd", "dao", "pts", "app")
                     and a.account_id not in extra_ids and a.active(first) and a.active(last)]
        self.rng.shuffle(self.pool)
        self.used: set[str] = set()

    # --- choosing accounts, days and times ------------------------------------------------------
    def take(self, wanted) -> Account | None:
        """An account of the pool no other window case uses."""
        for a in self.pool:
            if a.account_id not in self.used and wanted(a):
                self.used.add(a.account_id)
                return a
        return None

    def any_city_account(self, wanted=lambda a: True) -> Account:
        candidates = [a for a in self.pool if a.account_id not in self.reserved and wanted(a)]
        return self.rng.choice(candidates)

    def day(self, account: Account | None = None, min_day: int = 3, max_day: int = 31,
            wanted=None) -> date | None:
        """A working day of the month (from min_day when possible) on which account is active."""
        ok = [d for d in self.month.bizdays
              if (account is None or account.active(d)) and (wanted is None or wanted(d))]
        days = [d for d in ok if min_day <= d.day <= max_day] or ok
        return self.rng.choice(days) if days else None

    def slot(self, account: Account, d: date, clear: float = 3.0, lo: float | None = None,
             hi: float | None = None) -> datetime:
        """A time inside account's work hours on d with no other event of it within `clear` minutes."""
        work_start, work_end = account.hours()
        lo = work_start + 30 if lo is None else lo
        hi = work_end - 30 if hi is None else hi
        t = self.access_log.free_time(self.rng, account.account_id, d, lo, hi, clear)
        if t is None:
            raise RuntimeError(f"{self.month.text}: no free time for {account.account_id} on {d}")
        return t

    def subject(self, t) -> Person:
        p = self.month.pick_subject(self.rng, t)
        if p is None:
            raise RuntimeError(f"{self.month.text}: nobody arrested before {iso(t)}")
        return p

    def federal(self, d: date) -> Account | None:
        for a in sorted(self.access_log.accounts, key=lambda a: a.account_id):
            if a.kind == "federal_immigration" and a.active(d) and local(d) < ICE_CUTOFF:
                return a
        return None

    def federal_day(self, *fallback_ids: str) -> tuple[Account, date]:
        """ICE on a working day its agreement still allows; in months without one, the first
        fallback account active on the month's first day (the last one in any case)."""
        d = self.day(wanted=lambda d: self.federal(d) is not None)
        account = self.federal(d) if d else None
        if account is None:
            *preferred, last = fallback_ids
            account = next((a for a in map(self.account, preferred)
                            if a is not None and a.active(self.month.days[0])), self.account(last))
            d = self.day(account)
        return account, d

    def account(self, account_id: str) -> Account | None:
        return self.access_log.by_id.get(account_id)

    # --- events -------------------------------------------------------------------------------------
    def person_action_at(self, account: Account, t: datetime, action: str,
                         session: str | None = None) -> dict:
        """account's action at t on the record of someone arrested before t (a new session unless
        one is given)."""
        p = self.subject(t)
        return self.access_log.person_action(self.rng, account, p, t,
                                             session or self.access_log.session_id(self.rng),
                                             action=action)

    def city_person_action(self, action: str, wanted=lambda a: True) -> tuple[Account, dict]:
        """A city account's action on a person record at a free time of a working day."""
        account = self.any_city_account(wanted)
        t = self.slot(account, self.day(account))
        return account, self.person_action_at(account, t, action)

    def federal_search(self, *fallback_ids: str, hours: tuple[int, int], results: tuple[int, int],
                       terms) -> tuple[Account, dict]:
        """A person search by ICE (or a fallback account, see federal_day) between `hours` local,
        with the search terms `terms(day)` and a result count drawn from `results`."""
        account, d = self.federal_day(*fallback_ids)
        t = self.slot(account, d, lo=hours[0] * 60, hi=hours[1] * 60)
        p = self.subject(t)
        return account, self.access_log.event(
            t, account.account_id, account.addr, "search", terms=terms(d), subject=p.pid, case=p.dc,
            purpose="C", result=self.rng.randint(*results), source_action="PERSON_SEARCH",
            objects="persons;arrests", session=self.access_log.session_id(self.rng))

    # --- the plan ---------------------------------------------------------------------------------
    def run(self) -> None:
        self.fishing_account = self.take(lambda a: a.base >= 12)
        self.fishing_near_miss = self.take(lambda a: a.base >= 12)
        self.spiking_account = self.take(lambda a: a.base <= 6)
        self.spiking_near_miss = self.take(lambda a: a.base <= 6)
        self.sharing_account = self.take(lambda a: True)
        self.sharing_near_miss = self.take(lambda a: True)
        self.failing_account = self.take(lambda a: a.base >= 7)
        self.failing_near_miss = self.take(lambda a: True)
        self.reserved = {a.account_id for a in (self.spiking_account, self.spiking_near_miss) if a}
        for category in PLANTING_ORDER:
            getattr(self, category)()

    # --- per-event categories ---------------------------------------------------------------------
    def access_outside_agreement(self) -> None:
        month, rng = self.month, self.rng
        departing, joining = month.extra["departing"], month.extra["joining"]
        day_after = departing.end + timedelta(days=1)
        self.access_window_edges(
            departing,
            ("query-day-after-access-end", local(day_after, 10, rng.randint(0, 50), rng.randint(0, 59)),
             f"City account {departing.account_id} searched PARS on {day_after}, the day after its "
             f"access_end {departing.end}."),
            ("query-on-last-day-of-access", local(departing.end, 18, 30, 0),
             f"Near miss: {departing.account_id} viewed a record at 18:30 on {departing.end}, its last "
             "day of access (the last day is included to local midnight)."))
        day_before = joining.start - timedelta(days=1)
        self.access_window_edges(
            joining,
            ("query-day-before-access-start", local(day_before, 15, rng.randint(0, 50), rng.randint(0, 59)),
             f"City account {joining.account_id} searched PARS on {day_before}, the day before its "
             f"access_start {joining.start}."),
            ("query-first-day-of-access", local(joining.start, 7, 5, 0),
             f"Near miss: {joining.account_id} viewed a record at 07:05 on {joining.start}, its first "
             "day of access."))

        unregistered = month.extra["unregistered"]
        event = self.person_action_at(unregistered, self.slot(unregistered, self.day(min_day=4)), "search")
        month.label("unregistered-account", "access_event", _ref(event), [OUTSIDE_AGREEMENT],
                    f"Account {unregistered.account_id} is neither in the account registry nor mapped "
                    "through account_map, yet it searched PARS.")

        if month.text == "2018-08":
            ice = self.account("ICE-ERO-PHL-01")
            session = "5f2e8a61c0d94b17"
            self.access_log.event(local(date(2018, 8, 31), 23, 58, 30), ice.account_id, ice.addr,
                                  "login", source_action="LOGIN", session=session)
            event = self.person_action_at(ice, local(date(2018, 8, 31), 23, 59, 59), "search", session)
            month.label("ice-query-last-second-of-agreement", "access_event", _ref(event), [],
                        "Near miss: ICE searched PARS at 2018-08-31 23:59:59 local, the last second "
                        "of the agreement.")
        if month.end > ICE_CUTOFF:
            self.ice_after_cutoff()

    def access_window_edges(self, account: Account, outside: tuple[str, datetime, str],
                            inside: tuple[str, datetime, str]) -> None:
        """A search just outside account's access window and a view just inside it (a near miss),
        each given as (case slug, time, description)."""
        for (slug, t, description), action, categories in ((outside, "search", [OUTSIDE_AGREEMENT]),
                                                           (inside, "view", [])):
            event = self.person_action_at(account, t, action)
            self.month.label(slug, "access_event", _ref(event), categories, description)

    def ice_after_cutoff(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        ice = self.account("ICE-ERO-PHL-01")
        if month.text == "2018-09":
            t = local(date(2018, 9, 1), 0, 0, 0)
            event = access_log.event(
                t, ice.account_id, ice.addr, "search",
                terms="last_name = 'RAMIREZ' AND first_name = 'LUIS' AND dob = '1988-02-14'",
                case="18-24-031877", purpose="C", result=0, source_action="PERSON_SEARCH",
                objects="persons;arrests", session="5f2e8a61c0d94b17")
            month.label("ice-query-first-second-after-agreement", "access_event", _ref(event),
                        [OUTSIDE_AGREEMENT],
                        "ICE searched PARS at 2018-09-01 00:00:00 local, the first second after the "
                        "agreement ended (no match, so no subject).")
            access_log.event(local(date(2018, 9, 1), 0, 1, 10), ice.account_id, ice.addr, "logout",
                             source_action="LOGOUT", session="5f2e8a61c0d94b17")
        days = [d for d in month.bizdays if local(d) >= ICE_CUTOFF and ice.active(d)]
        birthplace_day = rng.choice(days) if days else None
        for d in days:
            session = access_log.session_id(rng)
            login = local(d, rng.randint(9, 15), rng.randint(0, 50), rng.randint(0, 59))
            event = access_log.event(login, ice.account_id, ice.addr, "login", source_action="LOGIN",
                                     session=session)
            month.label("ice-login-after-agreement", "access_event", _ref(event), [OUTSIDE_AGREEMENT],
                        f"ICE account logged in to PARS on {d}, after the agreement ended 2018-08-31.")
            t = login + timedelta(seconds=rng.randint(40, 300))
            p = self.subject(t)
            if d == birthplace_day:
                event = access_log.event(
                    t, ice.account_id, ice.addr, "search",
                    terms=f"place_of_birth <> 'US' AND arrest_date >= '{d - timedelta(days=1)}'",
                    subject=p.pid, case=p.dc, purpose="C", result=rng.randint(15, 60),
                    source_action="PERSON_SEARCH", objects="persons;arrests", session=session)
                month.label("ice-birthplace-search-after-agreement", "access_event", _ref(event),
                            [OUTSIDE_AGREEMENT, "birthplace_search"],
                            f"ICE searched PARS for arrestees born outside the US on {d}, after the "
                            "agreement ended.")
            else:
                event = access_log.person_action(rng, ice, p, t, session, action="search")
                month.label("ice-query-after-agreement", "access_event", _ref(event), [OUTSIDE_AGREEMENT],
                            f"ICE searched PARS on {d}, after the agreement ended 2018-08-31.")
            access_log.event(t + timedelta(seconds=rng.randint(60, 400)), ice.account_id, ice.addr,
                             "logout", source_action="LOGOUT", session=session)

    def missing_purpose(self) -> None:
        account, event = self.city_person_action("search")
        event["purpose_code"] = None
        event["case_number"] = None
        self.month.label("search-without-purpose", "access_event", _ref(event), ["missing_purpose"],
                         f"{account.account_id} searched a person record with no purpose code and no "
                         "case number.")

    def birthplace_search(self) -> None:
        if self.month.start >= ICE_CUTOFF:
            return      # planted with the after-agreement ICE queries
        account, event = self.federal_search(
            "PSP-K-0042", hours=(9, 16), results=(20, 80),
            terms=lambda d: f"place_of_birth <> 'US' AND arrest_date >= '{d - timedelta(days=7)}'")
        self.month.label("birthplace-search", "access_event", _ref(event), ["birthplace_search"],
                         f"{account.account_id} searched recent arrestees by place of birth outside "
                         "the US.")

    def bulk_access(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        account, event = self.federal_search(
            "FBI-PHL-0007", hours=(8, 11), results=(1200, 3500),
            terms=lambda d: f"arrest_date >= '{d - timedelta(days=30)}' AND arrest_date < '{d}'")
        month.label("bulk-sweep", "access_event", _ref(event), ["bulk_access"],
                    f"{account.account_id} ran a sweep of all arrests of the last 30 days returning "
                    f"{event['result_count']} rows.")
        dao = self.any_city_account(lambda a: a.role == "dao")
        t = self.slot(dao, self.day(dao))
        p = self.subject(t)
        event = access_log.event(t, dao.account_id, dao.addr, "search",
                                 terms="charging_unit = 'CHG' AND case_status = 'OPEN'", subject=p.pid,
                                 case=p.docket, purpose="C", result=999, source_action="PERSON_SEARCH",
                                 objects="persons;arrests", session=access_log.session_id(rng))
        month.label("large-search-below-bulk", "access_event", _ref(event), [],
                    f"Near miss: {dao.account_id} ran a search returning 999 rows, one below the "
                    "bulk threshold of 1000.")

    def off_hours(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        account = self.any_city_account(lambda a: a.work_hours == "07:00-19:00")
        d = self.day(account)
        event = self.person_action_at(account, local(d, 2, 30, 0), "search")
        month.label("search-at-0230", "access_event", _ref(event), ["off_hours"],
                    f"{account.account_id} (work hours 07:00-19:00) searched a person record at 02:30 "
                    f"on a weekday ({d}).")
        account = self.any_city_account(lambda a: a.work_hours == "07:00-19:00")
        d = self.day(account)
        event = self.person_action_at(account, local(d, 18, 59, 0), "search")
        month.label("search-at-1859", "access_event", _ref(event), [],
                    f"Near miss: {account.account_id} searched at 18:59 on {d}, inside work hours "
                    "07:00-19:00.")
        night = next((a for a in access_log.accounts if a.role == "night"), None)
        if night is not None:
            days = [d for d in month.bizdays if d.day >= 2 and access_log.night_ok(d - timedelta(days=1))
                    and night.active(d) and night.active(d - timedelta(days=1))]
            if days:
                d = rng.choice(days)
                event = self.person_action_at(night, local(d, 2, 30, 0), "search")
                month.label("night-shift-search-at-0230", "access_event", _ref(event), [],
                            f"Near miss: night-shift account {night.account_id} (work hours "
                            f"23:00-07:00) searched at 02:30 on {d}, inside its overnight shift.")

    def non_arrest_subject(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        account = self.any_city_account()
        d = self.day(account)
        t = self.slot(account, d)
        district = rng.choice(("03", "12", "24", "25"))
        event = access_log.event(t, account.account_id, account.addr, "view", subject=month.bystander_id(),
                                 case=f"{d.year % 100:02d}-{district}-{rng.randint(1, 99999):06d}",
                                 purpose="C", result=1, source_action="PERSON_VIEW",
                                 objects="persons;arrests;charges", session=access_log.session_id(rng))
        month.label("lookup-of-person-never-arrested", "access_event", _ref(event), ["non_arrest_subject"],
                    f"{account.account_id} viewed the record of a person with no arrest (a complainant "
                    "or witness).")
        # near miss: a person arrested minutes before the lookup
        account = self.any_city_account(lambda a: a.work_hours == "07:00-19:00")
        working_days = set(month.bizdays)
        candidates = [p for p in month.persons
                      if 8 * 60 <= _local_minutes(p.arrest_t) <= 17 * 60
                      and localdate(p.arrest_t) in working_days and localdate(p.arrest_t).day >= 3
                      and account.active(localdate(p.arrest_t))]
        p = rng.choice(candidates)
        t = p.arrest_t + timedelta(minutes=12)
        event = access_log.person_action(rng, account, p, t, access_log.session_id(rng), action="view")
        month.label("lookup-minutes-after-arrest", "access_event", _ref(event), [],
                    f"Near miss: {account.account_id} viewed a person arrested 12 minutes earlier.")

    def unauthorized_write(self) -> None:
        account, event = self.city_person_action("update", lambda a: not a.can_write)
        self.month.label("update-without-write-permission", "access_event", _ref(event),
                         ["unauthorized_write"],
                         f"{account.account_id} (can_write false) updated a charge record.")

    def export(self) -> None:
        account, d = self.federal_day("ATF-PHL-0003", "FBI-PHL-0007")
        event = self.person_action_at(account, self.slot(account, d, lo=9 * 60, hi=16 * 60), "export")
        self.month.label("federal-export", "access_event", _ref(event), ["export"],
                         f"Federal account {account.account_id} exported a rap sheet from PARS.")
        dao, event = self.city_person_action("export", lambda a: a.role == "dao")
        self.month.label("city-export", "access_event", _ref(event), [],
                         f"Near miss: the District Attorney's Office ({dao.account_id}) exported a rap "
                         "sheet for its own case (exports are flagged for federal accounts).")

    def audit_tamper(self) -> None:
        month = self.month
        dba = self.account("OIT-DBA-0003")
        if dba is None or not dba.active(month.days[-1]):
            return
        t = self.slot(dba, self.day(dba, min_day=5), clear=5)
        event = self.access_log.dba_statement(self.rng, dba, t, TAMPER[month.index % len(TAMPER)])
        month.label("audit-tamper", "access_event", _ref(event), ["audit_tamper"],
                    f"Database administrator ran `{event['statement']}` on the PARS database.")

    def service_account_misuse(self) -> None:
        """The ETL account's database login read the persons table from a district desktop in the
        afternoon; its own nightly extract from its host (exempt from bulk_access and
        missing_purpose, inside its 01:00-05:00 window in the pack) is the near miss."""
        month, access_log = self.month, self.access_log
        svc = self.account("svc_pars_etl")
        if svc is None:
            return
        desktop = self.any_city_account(lambda a: a.role == "ppd")
        for slug, addr, hours, categories, description in (
                ("etl-account-from-a-desktop", desktop.addr, (13, 17), ["service_account_misuse"],
                 f"The ETL service account read the whole persons table from {desktop.addr}, a police "
                 "district desktop, in the afternoon: a person using the program's login."),
                ("etl-nightly-extract", svc.addr, (1, 5), [],
                 "Near miss: the ETL service account's nightly whole-table extract from its own host "
                 "inside its window (the pack exempts it from bulk_access and missing_purpose).")):
            t = self.quiet_minute(svc, hours)
            if t is None:
                raise RuntimeError(f"{month.text}: no quiet time for {svc.account_id} at {hours[0]}-{hours[1]} h")
            event = access_log.event(t, DB_USER[svc.account_id], addr, "search", source="pars_db",
                                     result=self.rng.randint(40000, 60000), source_action="SELECT",
                                     statement="SELECT * FROM public.persons", objects="public.persons",
                                     session=f"{self.rng.getrandbits(32):08x}.{self.rng.getrandbits(16):04x}")
            month.label(slug, "access_event", _ref(event), categories, description)

    def quiet_minute(self, svc: Account, hours: tuple[int, int]) -> datetime | None:
        """A time in `hours` on a working day more than shared_account's five minutes from any
        other event of the ETL account: its imports follow every arrest, and its database loads
        run from :05 to :20 of even hours, so only :25 to :55 is looked at."""
        days = list(self.month.bizdays)
        self.rng.shuffle(days)
        for d in days:
            for hour in range(*hours):
                t = self.access_log.free_time(self.rng, svc.account_id, d, hour * 60 + 25, hour * 60 + 55, 6)
                if t is not None:
                    return t
        return None

    # --- window categories ------------------------------------------------------------------------
    def name_fishing(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        for account, n, slug, categories in (
                (self.fishing_account, 40, "name-fishing", ["name_fishing"]),
                (self.fishing_near_miss, 18, "wildcard-searches-below-threshold", [])):
            if account is None:
                continue
            d = self.day(account, min_day=5)
            work_start, work_end = account.hours()
            hour = rng.randint(work_start // 60 + 1, work_end // 60 - 2)
            start = local(d, hour, rng.randint(1, 4), rng.randint(0, 59))
            subjects = month.distinct_subjects(rng, start, n)
            session = access_log.session_id(rng)
            t = start
            for p in subjects:
                access_log.event(t, account.account_id, account.addr, "search",
                                 terms=f"last_name LIKE '{p.last[:3]}%'", subject=p.pid,
                                 case=case_number(account, subjects[0]), purpose="C",
                                 result=rng.randint(6, 45), source_action="PERSON_SEARCH",
                                 objects="persons;arrests", session=session)
                t += timedelta(seconds=rng.randint(60, 78))
            if categories:
                description = (f"{account.account_id} ran {n} wildcard name searches (LIKE 'ABC%') on "
                               f"{n} different people within one hour.")
            else:
                description = (f"Near miss: {account.account_id} ran {n} wildcard name searches on {n} "
                               "people within one hour (threshold: more than 30).")
            month.label(slug, "account", account.account_id, categories, description, window_start=start)

    def volume_spike(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        account = self.spiking_account
        if account is not None:
            d = self.day(account, min_day=22)
            n = rng.randint(120, 150)
            access_log.work_day(rng, account, d, n, failed_ok=False)
            month.label("volume-spike", "account", account.account_id, ["volume_spike"],
                        f"{account.account_id} (about {account.base:g} lookups a working day) made "
                        f"{n} extra lookups on {d}.", window_start=local(d))
        account = self.spiking_near_miss
        if account is not None:
            d = self.day(account, min_day=22)
            n = round(3.4 * account.base)
            access_log.work_day(rng, account, d, n, failed_ok=False)
            month.label("busy-day-below-spike", "account", account.account_id, [],
                        f"Near miss: {account.account_id} (about {account.base:g} lookups a "
                        f"working day) made {n} extra lookups on {d}: about 4-5 times its usual "
                        "volume, under 10 times.", window_start=local(d))

    def shared_account(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        account = self.sharing_account
        if account is not None:
            start = self.slot(account, self.day(account), clear=10)
            other = f"10.77.{rng.randint(1, 250)}.{rng.randint(2, 250)}"
            session = access_log.session_id(rng)
            p = self.subject(start)
            access_log.person_action(rng, account, p, start, session, action="search")
            access_log.person_action(rng, account, p, start + timedelta(minutes=2),
                                     access_log.session_id(rng), action="view", addr=other)
            access_log.person_action(rng, account, self.subject(start), start + timedelta(minutes=4),
                                     session, action="view")
            month.label("one-account-two-workstations", "account", account.account_id, ["shared_account"],
                        f"{account.account_id} was used from {account.addr} and {other} within the "
                        "same five minutes.", window_start=start)
        account = self.sharing_near_miss
        if account is not None:
            t = self.slot(account, self.day(account), clear=30)
            other = f"10.77.{rng.randint(1, 250)}.{rng.randint(2, 250)}"
            access_log.person_action(rng, account, self.subject(t), t, access_log.session_id(rng),
                                     action="view", addr=other)
            month.label("workstation-change", "account", account.account_id, [],
                        f"Near miss: {account.account_id} used another workstation ({other}) with no "
                        "other activity within 30 minutes: one address at a time.", window_start=t)

    def failed_logins(self) -> None:
        month, access_log, rng = self.month, self.access_log, self.rng
        for account, n, step, slug, categories in (
                (self.failing_account, 12, (20, 35), "failed-login-burst", ["failed_logins"]),
                (self.failing_near_miss, 9, (45, 55), "failed-logins-below-burst", [])):
            if account is None:
                continue
            start = self.slot(account, self.day(account), clear=20)
            t = start
            for _ in range(n):
                access_log.event(t, account.account_id, account.addr, "login_failed", outcome="failure",
                                 source_action="LOGIN_FAILED")
                t += timedelta(seconds=rng.randint(*step))
            if categories:
                description = f"{n} failed logins for {account.account_id} within about six minutes."
            else:
                description = (f"Near miss: {n} failed logins for {account.account_id} within ten "
                               "minutes (threshold 10).")
            month.label(slug, "account", account.account_id, categories, description, window_start=start)


def _ref(event: dict) -> str:
    """Events get their ids after sorting; labels carry a placeholder resolved then."""
    return f"@{event['_n']}"


def _local_minutes(t) -> int:
    lt = t.astimezone(TZ)
    return lt.hour * 60 + lt.minute


def plant(access_log: Access) -> None:
    Planter(access_log).run()
