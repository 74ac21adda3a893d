"""Charge classification outside a warehouse: the same SQL views the rules use, on given rows.

For tests, and for analysts checking how a pack reads a list of charges.
"""
from __future__ import annotations

from compliance.policy.pack import PolicyPack

CHARGE_FIELDS = ("charge_id", "person_id", "booking_id", "statute", "grade", "description", "disposition",
                 "disposition_date")


def classify_charges(charges: list[dict], pack: PolicyPack) -> list[dict]:
    """Each charge with its parsed citation, the offense it matched (and how), its effective
    grade, and conviction_class (qualifying / not_qualifying / undecidable) with the reason."""
    from compliance.rules.engine import load_sample
    from compliance.rules.views import install_views
    from compliance.warehouse import memory

    rows = [{"charge_id": str(i), "person_id": "P", "booking_id": "B", **charge}
            for i, charge in enumerate(charges)]
    con = memory()
    try:
        load_sample(con, {"charges": [{k: r.get(k, "") for k in CHARGE_FIELDS} for r in rows]})
        install_views(con, pack)
        cursor = con.execute("""
            SELECT charge_id, title, section, subsection, tokens, matched_by, offense_name, violent, grey,
                   grade_effective, conviction_class, class_reason
            FROM charge_classes ORDER BY CAST(charge_id AS INTEGER)""")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()
