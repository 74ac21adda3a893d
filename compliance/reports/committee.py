"""The committee summary: aggregates only, stable rules only.

No identifier of any person or account ever reaches this module's output: its inputs are the
flag counts per month, rule and category, the four NYC detainer counts and the detainers by the
charges on the booking, nothing else of the collected data. Counts of the city's own acts are
shown as they are; the table of people by their charges suppresses small counts under the policy
pack's rule (`committee_summary`), and what may be said about its changes follows `suppression.py`.
"""
from __future__ import annotations

from compliance.reports.categories import category_order, domain_of, plain_explanation, plain_name
from compliance.reports.i18n import COMMITTEE_EDITIONS, SOURCE_LOCALE, committee_output, moment, month_name
from compliance.reports.monthly import evaluated_months
from compliance.reports.render import render
from compliance.reports.statutory import NYC_MEASURES
from compliance.reports.suppression import Cell, protect_table, visible_difference

CHARGE_PLAIN = {
    "serious_felony": "First- or second-degree felony, or murder",
    "other_felony": "Other felony",
    "misdemeanor_or_other": "Misdemeanor or lesser offense only",
    "no_charge": "No charge on record for the booking",
}

BY_CHARGE = "Detainers received, by charge"
# Labels that the code passes to the template, which `_()` translates there (messages.py).
FIGURE_LABELS = ("All categories", BY_CHARGE, "all")

NYC_PLAIN = {
    "detainers_received": "Detainers (requests to hold or to notify) received from immigration authorities",
    "people_held_beyond_release": "People held past their release for immigration authorities",
    "people_transferred": "People handed over to immigration authorities",
    "people_not_honored": "People whose detainer the city declined",
}


def _cell(value: dict | None) -> Cell | None:
    return None if value is None else Cell(value["value"], value["suppressed"])


def figures(data: dict) -> dict:
    """Every figure of the summary with its suppression, as JSON-ready values (kept in the manifest
    so that the next version can say what changed without giving a suppressed count away)."""
    threshold = data["options"]["suppress_below"]
    stable = [r for r in data["rules"] if r["status"] == "stable"]
    stable_ids = {r["rule_id"] for r in stable}
    categories = category_order({r["category"] for r in stable})

    def counts(month: str) -> dict[str, int]:
        totals = dict.fromkeys(categories, 0)
        for row in data["flag_counts"]:
            if row["month"] == month and row["rule_id"] in stable_ids:
                totals[row["category"]] = totals.get(row["category"], 0) + row["flags"]
        return totals

    def as_shown(values: dict[str, int]) -> tuple[dict[str, Cell], Cell]:
        return {k: Cell(v, False) for k, v in values.items()}, Cell(sum(values.values()), False)

    current, current_total = as_shown(counts(data["month"]))
    if data["previous_month"] in evaluated_months(data):
        previous, previous_total = as_shown(counts(data["previous_month"]))
    else:
        previous, previous_total = {}, None
    # The answer first: how many findings concern detainers and how many the database.
    domains = {domain: sum(cell.value for c, cell in current.items() if domain_of(c) == domain)
               for domain in ("detainers", "access")}
    by_charge, by_charge_total = protect_table({k: data["detainers_by_charge"][k] for k in CHARGE_PLAIN}, threshold)
    return {
        "threshold": threshold,
        "categories": [{"category": c, "current": current[c].as_dict(),
                        "previous": previous[c].as_dict() if c in previous else None,
                        "change": visible_difference(current[c], previous.get(c))}
                       for c in current],
        "total": {"current": current_total.as_dict(),
                  "previous": previous_total.as_dict() if previous_total else None,
                  "change": visible_difference(current_total, previous_total)},
        "domains": {domain: Cell(count, False).as_dict() for domain, count in domains.items()},
        "nyc": {m: Cell(data["nyc"][m], False).as_dict() for m in NYC_MEASURES},
        "by_charge": {"rows": {k: c.as_dict() for k, c in by_charge.items()}, "total": by_charge_total.as_dict()},
    }


REVIEW_KINDS = ("confirmed", "set_aside", "under_review")


def review_split(data: dict, review: dict) -> dict:
    """The committee's findings (stable rules) split by where their review stands: confirmed
    violations, set aside after review (justified, false positive, data error, duplicate), still
    under review; with the sign-off, if any (`review`: compliance/review/state.py, `summary`)."""
    stable = {r["rule_id"] for r in data["rules"] if r["status"] == "stable"}
    categories = category_order({r["category"] for r in data["rules"] if r["status"] == "stable"})
    split = {c: dict.fromkeys(REVIEW_KINDS, 0) for c in categories}
    for row in review["counts"]:
        if row["rule_id"] not in stable:
            continue
        kind = ("under_review" if not row["disposition"] else
                "confirmed" if row["disposition"] == "confirmed" else "set_aside")
        split.setdefault(row["category"], dict.fromkeys(REVIEW_KINDS, 0))[kind] += row["flags"]
    total = {kind: sum(row[kind] for row in split.values()) for kind in REVIEW_KINDS}
    signoff = review.get("signoff")
    return {"categories": [{"category": c, **counts} for c, counts in split.items()], "total": total,
            "signoff": {"signed_at": signoff["signed_at"]} if signoff else None}


def version_notes(previous: dict | None, committee: dict, status: str, policy: dict) -> dict | None:
    """What changed since the previous version (its manifest), saying a figure only where both
    versions show it: a change in a suppressed count is only said to exist."""
    if previous is None:
        return None
    before = previous["committee"]
    old_categories = {row["category"]: row["current"] for row in before["categories"]}
    # A figure's label is a list of messages, each translated by the edition and joined by ": ".
    pairs = [([plain_name(row["category"])], _cell(old_categories.get(row["category"])), _cell(row["current"]))
             for row in committee["categories"]]
    pairs.append((["All categories"], _cell(before["total"]["current"]), _cell(committee["total"]["current"])))
    pairs += [([NYC_PLAIN[m]], _cell(before["nyc"].get(m)), _cell(committee["nyc"][m])) for m in NYC_MEASURES]
    old_charges = (before.get("by_charge") or {}).get("rows") or {}
    pairs += [([BY_CHARGE, CHARGE_PLAIN[k]], _cell(old_charges.get(k)), _cell(cell))
              for k, cell in committee["by_charge"]["rows"].items()]
    pairs.append(([BY_CHARGE, "all"], _cell((before.get("by_charge") or {}).get("total")),
                  _cell(committee["by_charge"]["total"])))
    shown, hidden_changed = [], False
    for label, old, new in pairs:
        if old is not None and old.value == new.value:
            continue
        if new.suppressed or (old is not None and old.suppressed):
            hidden_changed = True
        else:
            shown.append({"label": label, "before": old.value if old else None, "after": new.value})
    old_pack, new_pack = previous.get("policy_pack") or {}, policy
    return {"previous_version": previous["version"], "previous_generated_at": previous["generated_at"],
            "policy": None if old_pack.get("sha256") == new_pack.get("sha256") else {"before": old_pack, "after": new_pack},
            "figures": shown, "hidden_changed": hidden_changed,
            "status": None if previous["status"] == status else {"before": previous["status"], "after": status}}


def editions(names: dict[str, str]) -> list[dict]:
    """The committee summary's editions, each named in its own language, with its HTML file
    (`names`: the version's output file names)."""
    from babel import Locale

    return [{"locale": locale, "file": names[committee_output(locale, "html")[0]],
             "language": Locale.parse(locale).get_display_name(locale).capitalize()}
            for locale in COMMITTEE_EDITIONS]


def render_committee(data: dict, *, committee: dict, manifest: dict, notes: dict | None,
                     generated_at: str, names: dict[str, str], locale: str = SOURCE_LOCALE,
                     review: dict | None = None) -> str:
    if notes:
        notes = {**notes, "previous_generated_at": moment(notes["previous_generated_at"], locale)}
    return render(
        "committee_summary.html.j2", locale=locale,
        month=data["month"], month_label=month_name(data["month"], locale),
        previous_month=data["previous_month"], previous_label=month_name(data["previous_month"], locale),
        policy=data["policy"], committee=committee, manifest=manifest, notes=notes, review=review,
        signed_at=moment(review["signoff"]["signed_at"], locale) if review and review["signoff"] else None,
        generated_at=moment(generated_at, locale),
        plain_name=plain_name, plain_explanation=plain_explanation, nyc_plain=NYC_PLAIN,
        charge_plain=CHARGE_PLAIN, suppression=data["suppression"], editions=editions(names),
        paper_size=data["policy"]["paper_size"])
