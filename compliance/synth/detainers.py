"""ICE detainers: a clean background (declined or lifted; before EO 1-14 also quick transfers)
and planted cases whose categories are stated by hand, from what is planted.

Every planted case has a complete timeline inside its month: arrest, booked, detainer received,
release eligibility (release_ordered, bail_posted or sentence_complete), then the act (hold,
transfer or notice) and the end of custody. Unless a case plants hold_over_limit, custody ends
within a few hours of eligibility or the case is built so that the counted hours stay under 48.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .clock import (EO_1_14, business_hours, form_era, is_business_day, iso, local, localdate,
                    policy_version)
from .model import Month
from .reference import DETAINER_MIX, JUDGES, VIOLENT_QUALIFYING, CHARGES

JUDICIAL_WARRANT = "judicial_warrant"
# Every category a planted detainer case raises (each case below names its own).
PLANTED_CATEGORIES = ("ineligible_hold", "ineligible_notice", "no_judicial_warrant", "hold_over_limit",
                      "unrecorded_transfer", "needs_review")


@dataclass
class Case:
    slug: str
    categories: list[str]
    description: str
    charges: list[tuple[str, str]]           # (charge key, disposition as written)
    elig: str                                # release_ordered | bail_posted | sentence_complete
    kind: str                                # hold | notice | unrecorded
    attachments: list[str]
    action: str
    end: str = "transferred_to_ice"          # custody event that ends the stay
    end_h: tuple[float, float] = (2.0, 5.0)  # hours after eligibility
    notice_h: float | None = None            # notice sent, hours after eligibility
    other_hold: tuple[float, float] | None = None
    # placement
    restricted: bool | None = True           # version at the act: restricting / none / either
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    fixed: datetime | None = None            # release eligibility, when fixed
    avoid_dec_window: bool = False
    check: object = None                     # callable(elig, end, other_hold) -> bool


def _violent(rng) -> str:
    return rng.choice(VIOLENT_QUALIFYING)


def _desc_charge(key: str) -> str:
    statute, grade, desc = CHARGES[key]
    return f"{statute} {grade} ({desc})"


# --- the planted cases --------------------------------------------------------------------------

def restricted_cases(month: Month, rng) -> list[Case]:
    v1, v2, v3, v4, v5, v6, v7, v8 = (_violent(rng) for _ in range(8))
    grey = [("agg_assault_a4", "convicted"), ("agg_assault_a3", "convicted"),
            ("firearms_6105", "convicted"), ("agg_assault_a1", "Guilty Plea - Negotiated")][month.index % 4]
    grey_why = ("a disposition outside the known set" if grey[1] != "convicted"
                else "a grey-list offense (violent conduct, not on 42 Pa.C.S. § 9714(g))")
    unrecorded_action = ("declined", "lifted", "pending")[month.index % 3]
    over_variant = month.index % 2
    return [
        Case("burglary-no-person-present-held", ["ineligible_hold"],
             "Convicted of F1 burglary with no one present (18 § 3502 §§ A2, not on the violent list) "
             "and held for ICE with a judicial warrant: an F1 that is not a felony involving violence.",
             [("burglary_a2", "convicted"), ("theft_m1", "convicted")], "release_ordered", "hold",
             [JUDICIAL_WARRANT], "transferred"),
        Case("robbery-a1iv-held", ["needs_review"],
             "Convicted of F2 robbery (a)(1)(iv) (18 § 3701 §§ A1IV, grey list) and transferred to ICE "
             "with a judicial warrant: whether it involved violence needs a human decision.",
             [("robbery_a1iv", "convicted")], "release_ordered", "hold", ["I-200", JUDICIAL_WARRANT], "transferred"),
        Case("violent-conviction-i200-only", ["no_judicial_warrant"],
             f"Convicted of {_desc_charge(v1)}, a qualifying violent felony, and transferred to ICE "
             "with only an administrative I-200 warrant: no judicial warrant.",
             [(v1, "convicted")], "release_ordered", "hold", ["I-200"], "transferred"),
        Case("pending-charge-bail-held", ["ineligible_hold", "no_judicial_warrant"],
             f"Charged (not convicted) with {_desc_charge(v2)}, posted bail and was held for ICE, "
             "then transferred, on an I-200 only: no conviction and no judicial warrant.",
             [(v2, "pending"), ("pic", "pending")], "bail_posted", "hold", ["I-200"], "held"),
        Case("notice-pending-charges", ["ineligible_notice", "no_judicial_warrant"],
             "Release notice given to ICE for a person released on bail with pending drug charges, "
             "no conviction and no judicial warrant.",
             [("pwid", "pending"), ("possession", "pending")], "bail_posted", "notice", ["I-200"],
             "notified", end="released", end_h=(1.5, 3.0), notice_h=0.4, avoid_dec_window=True),
        Case("notice-nonviolent-conviction", ["ineligible_notice"],
             "Release notice given to ICE after a conviction for an ungraded drug felony "
             "(35 § 780-113 §§ A30 F); a judicial warrant was attached but the offense does not qualify.",
             [("pwid", "convicted")], "release_ordered", "notice", [JUDICIAL_WARRANT], "notified", end="released",
             end_h=(1.5, 3.0), notice_h=0.25, avoid_dec_window=True),
        Case("grey-list-held", ["needs_review"],
             f"Transferred to ICE with a judicial warrant; the only conviction candidate is "
             f"{_desc_charge(grey[0])} with disposition '{grey[1]}': {grey_why}, so it needs review.",
             [grey], "release_ordered", "hold", [JUDICIAL_WARRANT], "transferred"),
        Case("eligible-hold-47h", [],
             f"Near miss: convicted of {_desc_charge(v3)} with a judicial warrant, held and handed to "
             "ICE 47 hours after release eligibility on working days: within the 48-hour limit.",
             [(v3, "convicted")], "release_ordered", "hold", [JUDICIAL_WARRANT], "held", end_h=(47.0, 47.0),
             weekdays=(0, 1, 2), check=lambda elig, end, other_hold: business_hours(elig, end) <= 47.01),
        Case("eligible-i200-and-judicial-warrant", [],
             f"Near miss: convicted of {_desc_charge(v4)}; the detainer carries an I-200 AND a judicial "
             "warrant, so the warrant requirement is met.",
             [(v4, "convicted")], "release_ordered", "hold", ["I-200", JUDICIAL_WARRANT], "transferred"),
        Case("eligible-hold-over-weekend", [],
             f"Near miss: convicted of {_desc_charge(v5)} with a judicial warrant, eligible on a Friday "
             "afternoon and handed to ICE on Monday morning: more than 48 wall-clock hours but under "
             "48 hours once the weekend is excluded.",
             [(v5, "convicted")], "release_ordered", "hold", [JUDICIAL_WARRANT], "held", end_h=(66.0, 68.0),
             weekdays=(4,), check=lambda elig, end, other_hold: business_hours(elig, end) < 30),
        Case("eligible-hold-other-hold", [],
             f"Near miss: convicted of {_desc_charge(v6)} with a judicial warrant; a county warrant "
             "(other hold) kept the person for about three days, then ICE took custody five hours "
             "after that hold ended: the other hold does not count toward 48 hours.",
             [(v6, "convicted")], "release_ordered", "hold", [JUDICIAL_WARRANT], "transferred", end_h=(75.0, 75.0),
             other_hold=(0.5, 70.0), weekdays=(0, 1),
             check=lambda elig, end, other_hold: (business_hours(elig, end, (other_hold,)) < 10
                                                  and business_hours(elig, end) > 49)),
        Case("notice-eligible", [],
             f"Near miss: release notice after a conviction for {_desc_charge(v7)} with a judicial "
             "warrant: the notice is allowed.",
             [(v7, "convicted")], "release_ordered", "notice", [JUDICIAL_WARRANT], "notified", end="released",
             end_h=(1.5, 3.0), notice_h=0.25, avoid_dec_window=True),
        Case("hold-over-limit", ["hold_over_limit"],
             f"Convicted of {_desc_charge(v8)} with a judicial warrant (eligible), but kept "
             + ("72 hours (Tuesday to Friday) after release eligibility before ICE took custody."
                if over_variant == 0 else
                "from Thursday to the next Tuesday (72 counted hours) waiting for ICE, then released."),
             [(v8, "convicted")], "release_ordered", "hold", [JUDICIAL_WARRANT], "held",
             end="transferred_to_ice" if over_variant == 0 else "released",
             end_h=(72.0, 72.0) if over_variant == 0 else (120.0, 120.0),
             weekdays=(1,) if over_variant == 0 else (3,),
             check=lambda elig, end, other_hold: business_hours(elig, end) > 55),
        Case("unrecorded-transfer", ["unrecorded_transfer"],
             f"Detainer recorded as '{unrecorded_action}', yet the custody log shows a transfer to ICE "
             "for the same booking (an eligible conviction with a judicial warrant, so only the "
             "record is wrong).",
             [(_violent(rng), "convicted")], "release_ordered", "unrecorded", [JUDICIAL_WARRANT], unrecorded_action),
    ]


def unrestricted_cases(month: Month, rng) -> list[Case]:
    unrecorded_action = ("declined", "lifted", "pending")[month.index % 3]
    lead = rng.choice(("pwid", "dui", "retail_theft", "simple_assault"))
    return [
        Case("pre-eo-hold-no-conviction", [],
             "Near miss: held and transferred to ICE with pending charges and no judicial warrant "
             "before Executive Order 1-14 (2014-04-16): no city restriction yet.",
             [(lead, "pending")], "bail_posted", "hold", [], "transferred", restricted=False),
        Case("pre-eo-notice", [],
             "Near miss: release notice to ICE before Executive Order 1-14: no restriction yet.",
             [("possession", "pending")], "bail_posted", "notice", [], "notified", end="released",
             end_h=(1.5, 3.0), notice_h=0.3, restricted=False),
        Case("pre-eo-hold-over-limit", ["hold_over_limit"],
             "Held on a detainer for 72 hours (Tuesday to Friday) after bail was posted before ICE "
             "took custody: over the 48-hour limit of 8 C.F.R. § 287.7(d) (applies in every period).",
             [(lead, "pending")], "bail_posted", "hold", [], "held", end_h=(72.0, 72.0),
             weekdays=(1,), restricted=False, check=lambda elig, end, other_hold: business_hours(elig, end) > 55),
        Case("pre-eo-unrecorded-transfer", ["unrecorded_transfer"],
             f"Detainer recorded as '{unrecorded_action}', yet the custody log shows a transfer to ICE.",
             [("pwid", "pending")], "bail_posted", "unrecorded", [], unrecorded_action, restricted=False),
        Case("pre-eo-hold-47h", [],
             "Near miss: held 47 working hours after bail before ICE took custody: within 48 hours.",
             [("dui", "pending")], "bail_posted", "hold", [], "held", end_h=(47.0, 47.0),
             weekdays=(0, 1, 2), restricted=False,
             check=lambda elig, end, other_hold: business_hours(elig, end) <= 47.01),
        Case("pre-eo-hold-over-weekend", [],
             "Near miss: eligible Friday afternoon, handed to ICE Monday morning: under 48 hours "
             "once the weekend is excluded.",
             [("retail_theft", "pending")], "bail_posted", "hold", [], "held", end_h=(66.0, 68.0),
             weekdays=(4,), restricted=False, check=lambda elig, end, other_hold: business_hours(elig, end) < 30),
    ]


def special_cases(month: Month, rng) -> list[Case]:
    """Boundary cases of the months where the policy changes."""
    out: list[Case] = []
    if month.text == "2014-04":
        out += [
            Case("hold-day-before-eo-1-14", [],
                 "Near miss: hold and transfer with pending charges and no judicial warrant, release "
                 "eligibility on 2014-04-15, the day before Executive Order 1-14.",
                 [("pwid", "pending")], "bail_posted", "hold", [], "transferred",
                 restricted=False, fixed=local(date(2014, 4, 15), 10, 20)),
            Case("hold-first-day-eo-1-14", ["ineligible_hold", "no_judicial_warrant"],
                 "The same facts with release eligibility on 2014-04-16, the first day of "
                 "Executive Order 1-14 (the detainer arrived before): no conviction, no judicial warrant.",
                 [("pwid", "pending")], "bail_posted", "hold", [], "transferred",
                 fixed=local(date(2014, 4, 16), 10, 20)),
            Case("notice-day-before-eo-1-14", [],
                 "Near miss: release notice on 2014-04-15, before Executive Order 1-14.",
                 [("possession", "pending")], "bail_posted", "notice", [], "notified", end="released",
                 end_h=(2.0, 2.0), notice_h=0.5, restricted=False,
                 fixed=local(date(2014, 4, 15), 14, 0)),
            Case("notice-first-day-eo-1-14", ["ineligible_notice", "no_judicial_warrant"],
                 "Release notice on 2014-04-16 (Executive Order 1-14 in force) for pending charges "
                 "without a judicial warrant.",
                 [("possession", "pending")], "bail_posted", "notice", [], "notified", end="released",
                 end_h=(2.0, 2.0), notice_h=0.5, fixed=local(date(2014, 4, 16), 14, 0)),
        ]
    if month.text == "2015-12":
        out += [
            Case("notice-last-day-eo-1-14", ["ineligible_notice", "no_judicial_warrant"],
                 "Release notice on 2015-12-21 (still Executive Order 1-14) for pending charges "
                 "without a judicial warrant.",
                 [("pwid", "pending")], "bail_posted", "notice", ["I-200"], "notified", end="released",
                 end_h=(2.0, 2.0), notice_h=0.5, fixed=local(date(2015, 12, 21), 14, 0)),
            Case("notice-first-day-dec-2015", ["needs_review"],
                 "Release notice on 2015-12-22 under the December 2015 order for pending charges: "
                 "notice may have been allowed for Priority 1 categories whose facts are not in the "
                 "data, so it needs review (no judicial warrant needed for notices in this window).",
                 [("pwid", "pending")], "bail_posted", "notice", ["I-200"], "notified", end="released",
                 end_h=(2.0, 2.0), notice_h=0.5, fixed=local(date(2015, 12, 22), 10, 0)),
            Case("notice-dec-2015-eligible-no-warrant", [],
                 f"Near miss: release notice on 2015-12-28 under the December 2015 order after a "
                 f"qualifying violent conviction; no judicial warrant is needed for notices then.",
                 [(_violent(rng), "convicted")], "release_ordered", "notice", ["I-200"], "notified",
                 end="released", end_h=(2.0, 2.0), notice_h=0.5,
                 fixed=local(date(2015, 12, 28), 11, 0)),
        ]
    if month.text == "2016-01":
        out += [
            Case("notice-last-days-dec-2015", ["needs_review"],
                 "Release notice on Saturday 2016-01-02, still under the December 2015 order, for "
                 "pending charges: needs review.",
                 [("possession", "pending")], "bail_posted", "notice", ["I-200"], "notified",
                 end="released", end_h=(2.0, 2.0), notice_h=0.5,
                 fixed=local(date(2016, 1, 2), 10, 30)),
            Case("notice-first-day-eo-5-16", ["ineligible_notice", "no_judicial_warrant"],
                 "Release notice on 2016-01-04, the first day of Executive Order 5-16, for pending "
                 "charges without a judicial warrant.",
                 [("possession", "pending")], "bail_posted", "notice", ["I-200"], "notified",
                 end="released", end_h=(2.0, 2.0), notice_h=0.5,
                 fixed=local(date(2016, 1, 4), 9, 30)),
        ]
    return out


# --- placement and rows ---------------------------------------------------------------------------

def _act_time(case: Case, elig: datetime) -> datetime:
    return elig + timedelta(hours=case.notice_h) if case.kind == "notice" else elig


def _fits(month: Month, case: Case, elig: datetime, end_h: float) -> bool:
    end = elig + timedelta(hours=end_h)
    if end >= month.end - timedelta(hours=1):
        return False
    if elig - month.start < timedelta(days=2):
        return False
    version = policy_version(_act_time(case, elig))
    if case.restricted is True and version == "none":
        return False
    if case.restricted is False and version != "none":
        return False
    if case.avoid_dec_window and version == "dec-2015":
        return False
    if case.check is not None:
        other_hold = None
        if case.other_hold:
            other_hold = (elig + timedelta(hours=case.other_hold[0]), elig + timedelta(hours=case.other_hold[1]))
        if not case.check(elig, end, other_hold):
            return False
    return True


def place(month: Month, rng, case: Case) -> tuple[datetime, float] | None:
    end_h = rng.uniform(*case.end_h)
    if case.fixed is not None:
        return case.fixed, end_h
    days = [d for d in month.days if d.weekday() in case.weekdays and is_business_day(d) and d.day >= 3]
    rng.shuffle(days)
    for d in days:
        hh = 13 + rng.randint(0, 2) if case.weekdays == (4,) else rng.randint(9, 14)
        elig = local(d, hh, rng.randint(0, 59), 0)
        if _fits(month, case, elig, end_h):
            return elig, end_h
    return None


def build(month: Month, rng, case: Case, elig: datetime, end_h: float) -> None:
    # booking a few days before eligibility, inside the month
    room = (elig - month.start).total_seconds() / 3600.0
    back_h = rng.uniform(50, 260)
    if back_h > room - 4:
        back_h = rng.uniform(min(20.0, room - 4) * 0.6, room - 4)
    booked = elig - timedelta(hours=back_h)
    arrest = booked - timedelta(minutes=rng.randint(30, 120))
    if arrest <= month.start:
        arrest = month.start + timedelta(minutes=rng.randint(5, 50))
        booked = arrest + timedelta(minutes=30)
    # the detainer arrives between booking and eligibility (for the fixed boundary cases at
    # least 20 hours before eligibility, i.e. under the previous policy version)
    received = booked + (elig - booked) * rng.uniform(0.15, 0.6)
    elig_date = localdate(elig)
    charges = [(k, disp, elig_date if disp != "pending" else None) for k, disp in case.charges]
    p = month.person(rng, arrest, booked, charges)
    month.custody(p, case.elig, elig)

    end_t = elig + timedelta(hours=end_h)
    action_at: datetime | None = None
    notice_at: datetime | None = None
    if case.other_hold:
        month.custody(p, "other_hold_start", elig + timedelta(hours=case.other_hold[0]))
        month.custody(p, "other_hold_end", elig + timedelta(hours=case.other_hold[1]))
    if case.kind == "hold":
        action_at = end_t if case.action == "transferred" else elig + timedelta(minutes=rng.randint(4, 20))
        month.custody(p, case.end, end_t)
    elif case.kind == "notice":
        notice_at = elig + timedelta(hours=case.notice_h)
        action_at = notice_at
        month.custody(p, case.end, end_t)
    else:  # unrecorded: the record says declined/lifted/pending, custody says transferred
        if case.action == "declined":
            action_at = received + timedelta(hours=rng.uniform(1, 3))
        elif case.action == "lifted":
            action_at = received + (elig - received) * rng.uniform(0.4, 0.8)
        month.custody(p, "transferred_to_ice", end_t)

    era = form_era(received)
    if case.kind == "notice":
        form = {"legacy": "I-247", "pep": "I-247N", "i247a": "I-247A"}[era]
    else:
        form = {"legacy": "I-247", "pep": "I-247D", "i247a": "I-247A"}[era]
    detainer_id = f"D{month.text}{month.next('detainer'):03d}"
    month.add("detainers", received, {
        "detainer_id": detainer_id, "person_id": p.pid, "booking_id": p.booking_id,
        "received_at": iso(received), "form_type": form, "attachments": ";".join(case.attachments),
        "action": case.action, "action_at": iso(action_at) if action_at else "",
        "notice_sent_at": iso(notice_at) if notice_at else "",
        "judicial_warrant_signed_by": rng.choice(JUDGES) if JUDICIAL_WARRANT in case.attachments else "",
    })
    month.label(case.slug, "detainer", detainer_id, list(case.categories), case.description)


def plant(month: Month) -> None:
    rng = month.rng("detainer-cases")
    cases: list[Case] = []
    if month.end > EO_1_14:
        cases += restricted_cases(month, rng)
    if month.start < EO_1_14:
        cases += unrestricted_cases(month, rng)
    cases += special_cases(month, rng)
    for case in cases:
        placed = place(month, rng, case)
        if placed is None:
            raise RuntimeError(f"{month.text}: cannot place planted detainer case {case.slug}")
        build(month, rng, case, *placed)


# --- background ----------------------------------------------------------------------------------

def background(month: Month) -> None:
    """Detainers that raise nothing: declined or lifted with complete timelines; before EO 1-14
    some are honoured with a transfer a few hours after release eligibility."""
    rng = month.rng("detainer-background")
    for _ in range(rng.randint(10, 18)):
        d = rng.choice([d for d in month.days if 1 <= d.day <= 20])
        booked = local(d, rng.randint(3, 22), rng.randint(0, 59), rng.randint(0, 59))
        arrest = booked - timedelta(minutes=rng.randint(30, 150))
        if arrest <= month.start:
            continue
        elig = booked + timedelta(hours=rng.uniform(20, 140))
        received = booked + timedelta(hours=rng.uniform(2, 14))
        if received >= elig - timedelta(hours=3):
            continue
        released = elig + timedelta(minutes=rng.randint(50, 200))
        if released >= month.end - timedelta(hours=1):
            continue
        lead = rng.choice(DETAINER_MIX)
        keys = [lead] + (["possession"] if lead == "pwid" else [])
        elig_type = rng.choice(("bail_posted", "release_ordered"))
        honoured = policy_version(elig) == "none" and rng.random() < 0.6
        if honoured and policy_version(released + timedelta(hours=6)) != "none":
            honoured = False
        action = "transferred" if honoured else rng.choice(("declined", "declined", "declined", "lifted"))
        if action == "lifted":
            action_at = received + (elig - received) * rng.uniform(0.3, 0.9)
        elif action == "declined":
            action_at = received + timedelta(minutes=rng.randint(30, 150))
        else:
            action_at = elig + timedelta(minutes=rng.randint(60, 300))
        charges = [(k, "pending", None) for k in keys]
        p = month.person(rng, arrest, booked, charges)
        month.custody(p, elig_type, elig)
        if action == "transferred":
            month.custody(p, "transferred_to_ice", action_at)
        else:
            month.custody(p, "released", released)
        era = form_era(received)
        if era == "legacy":
            form, attachments = "I-247", rng.choice(("", "", "NCIC"))
        elif era == "pep":
            form, attachments = rng.choice(("I-247D", "I-247D", "I-247D", "I-247X")), rng.choice(("", "I-200"))
        else:
            form, attachments = "I-247A", rng.choice(("I-200", "I-200", "I-205", "I-200;I-203"))
        month.add("detainers", received, {
            "detainer_id": f"D{month.text}{month.next('detainer'):03d}",
            "person_id": p.pid, "booking_id": p.booking_id, "received_at": iso(received),
            "form_type": form, "attachments": attachments, "action": action, "action_at": iso(action_at),
            "notice_sent_at": "", "judicial_warrant_signed_by": "",
        })
