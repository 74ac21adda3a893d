"""Background arrests, bookings, charges and custody timelines (no detainer, nothing to flag)."""
from __future__ import annotations

from datetime import timedelta

from .clock import local, localdate
from .model import Month
from .reference import ARREST_MIX, CHARGES

# Arrests by hour of day: quiet early morning, busy afternoon and evening.
HOUR_WEIGHTS = (4, 3, 3, 2, 2, 2, 2, 3, 4, 5, 6, 6, 6, 7, 7, 8, 8, 8, 8, 8, 7, 7, 6, 5)
_MIX_KEYS = [k for k, _, _ in ARREST_MIX]
_MIX_WEIGHTS = [w for _, w, _ in ARREST_MIX]
_CO = {k: co for k, _, co in ARREST_MIX}


def charges_for(rng, lead: str) -> list[str]:
    keys = [lead]
    for co in _CO.get(lead, ()):
        if rng.random() < 0.45:
            keys.append(co)
    return keys


def generate(month: Month) -> None:
    rng = month.rng("people")
    n = rng.randint(820, 960)
    times = []
    # A few arrests in the first hours of the month, so the first morning's lookups have subjects.
    for _ in range(3):
        times.append(local(month.days[0], rng.randint(0, 4), rng.randint(5, 59), rng.randint(0, 59)))
    for _ in range(n - 3):
        d = rng.choice(month.days)
        h = rng.choices(range(24), HOUR_WEIGHTS)[0]
        times.append(local(d, h, rng.randint(0, 59), rng.randint(0, 59)))
    times.sort()
    for arrest_t in times:
        booked_t = arrest_t + timedelta(minutes=rng.randint(35, 170))
        if not month.inside(booked_t):
            booked_t = arrest_t + (month.end - arrest_t) / 2
        keys = charges_for(rng, rng.choices(_MIX_KEYS, _MIX_WEIGHTS)[0])
        r = rng.random()
        if r < 0.50:
            elig_type, elig_t = "release_ordered", booked_t + timedelta(minutes=rng.randint(180, 1080))
        elif r < 0.82:
            elig_type, elig_t = "bail_posted", booked_t + timedelta(minutes=rng.randint(300, 5760))
        else:
            elig_type, elig_t = None, None
        released_t = elig_t + timedelta(minutes=rng.randint(45, 200)) if elig_t else None
        if released_t is not None and released_t >= month.end - timedelta(minutes=1):
            elig_type = elig_t = released_t = None   # still in custody when the month ends
        charges = []
        minor = all(CHARGES[k][1] in ("S", "M3", "M2") for k in keys)
        for k in keys:
            disposition, ddate = "pending", None
            if elig_type == "release_ordered":
                q = rng.random()
                if minor and q < 0.30:
                    disposition, ddate = "convicted", localdate(elig_t)
                elif q < 0.06:
                    disposition, ddate = rng.choice(("withdrawn", "dismissed")), localdate(elig_t)
                elif q < 0.07:
                    disposition, ddate = "nolle_prossed", localdate(elig_t)
            charges.append((k, disposition, ddate))
        p = month.person(rng, arrest_t, booked_t, charges)
        if elig_type:
            month.custody(p, elig_type, elig_t)
            month.custody(p, "released", released_t)
