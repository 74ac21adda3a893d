"""A grid of Pennsylvania charges (graded as policies/pa_offenses.csv lists them): each convicted
before release eligibility and held for ICE with a judicial warrant under EO 5-16, and what the
rules must say."""
import pytest

from compliance import warehouse
from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules
from compliance.rules.engine import evaluate_month, load_sample

ELIGIBLE, INELIGIBLE, GREY = set(), {"ineligible_hold"}, {"needs_review"}

GRID = [
    # (statute, grade, description, disposition, attachments, expected categories)
    ("18 § 2702 §§ A1", "F1", "Aggravated Assault", "convicted", "judicial_warrant", ELIGIBLE),
    ("18 § 3701 §§ A1II", "F1", "Robbery-Threat Immed Ser Injury", "convicted", "judicial_warrant", ELIGIBLE),
    ("18 § 3502 §§ A1II", "F1", "Burglary - Overnight Accommodations; Person Present", "convicted", "judicial_warrant", ELIGIBLE),
    ("18 § 3124.1", "F2", "Sexual Assault", "convicted", "judicial_warrant", ELIGIBLE),
    ("18 § 3502 §§ A2", "F1", "Burglary - Overnight Accommodations; No Person Present", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 3502 §§ A4", "F2", "Burglary - Not Adapted For Overnight Accommodations; No Person Present", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 3503 §§ A1II", "F2", "Criminal Trespass - Break Into Structure", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 3921 §§ A", "F1", "Theft By Unlawful Taking - Movable Property", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 3921 §§ A", "F2", "Theft By Unlawful Taking - Movable Property", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 4101", "F2", "Forgery", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 6105", "F2", "Persons Not To Possess Firearms", "convicted", "judicial_warrant", GREY),
    ("35 § 780-113 §§ A30", "F", "Manufacture, Delivery, Or Possession With Intent To Manufacture Or Deliver", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 3701 §§ A1IV", "F2", "Robbery-Inflict Threat Imm Bod Inj", "convicted", "judicial_warrant", GREY),
    ("18 § 3701 §§ A1V", "F3", "Robbery-Take Property Other By Force Slight", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 2702 §§ A4", "F2", "Aggravated Assault - Attempts/Causes Bodily Injury With Deadly Weapon", "convicted", "judicial_warrant", GREY),
    ("18 § 2702 §§ A3", "F2", "Aggravated Assault - Attempts/Causes Bodily Injury Officer", "convicted", "judicial_warrant", GREY),
    ("18 § 2701 §§ A1", "M2", "Simple Assault", "convicted", "judicial_warrant", INELIGIBLE),
    ("18 § 2702 §§ A1", "F1", "Aggravated Assault (charged only, released on bail)", "pending", "judicial_warrant", INELIGIBLE),
    ("18 § 2702 §§ A1", "F1", "Aggravated Assault (eligible, I-200 and I-205 only)", "convicted", "I-200;I-205", {"no_judicial_warrant"}),
    ("18 § 903", "F1", "Conspiracy - Robbery-Threat Immed Ser Injury", "convicted", "judicial_warrant", ELIGIBLE),
]


@pytest.fixture(scope="module")
def pack():
    return load_pack()


@pytest.fixture(scope="module")
def detainer_rules():
    return [rule for rule in load_rules() if rule.domain == "detainers"]


@pytest.mark.parametrize(("statute", "grade", "description", "disposition", "attachments", "expected"), GRID,
                         ids=[f"{row[0]} {row[1]} {row[2][:40]}" for row in GRID])
def test_grid_row(statute, grade, description, disposition, attachments, expected, pack, detainer_rules):
    con = warehouse.memory()
    load_sample(con, {
        "detainers": [{"detainer_id": "D1", "person_id": "P1", "booking_id": "B1",
                       "received_at": "2016-03-01T09:00:00-05:00", "form_type": "I-247D",
                       "attachments": attachments, "action": "transferred",
                       "action_at": "2016-03-10T12:00:00-05:00"}],
        "charges": [{"charge_id": "C1", "person_id": "P1", "booking_id": "B1", "statute": statute,
                     "grade": grade, "description": description, "disposition": disposition,
                     "disposition_date": "2016-03-01" if disposition == "convicted" else None}],
        "custody_events": [
            {"event_id": "E1", "person_id": "P1", "booking_id": "B1", "event_type": "booked",
             "event_ts": "2016-02-01T08:00:00-05:00"},
            {"event_id": "E2", "person_id": "P1", "booking_id": "B1",
             "event_type": "sentence_complete" if disposition == "convicted" else "bail_posted",
             "event_ts": "2016-03-10T10:00:00-05:00"},
            {"event_id": "E3", "person_id": "P1", "booking_id": "B1", "event_type": "transferred_to_ice",
             "event_ts": "2016-03-10T12:00:00-05:00"}],
    })
    evaluate_month(con, pack, "2016-03", detainer_rules)
    flagged = {row[0] for row in con.execute("SELECT category FROM flags WHERE subject_id = 'D1'").fetchall()}
    con.close()
    assert flagged == expected
