"""The statutory exports on hand-made detainers with known answers, including the month's edges
in local time, a transfer only the custody log shows and one only the detainer record shows."""
from __future__ import annotations

import csv

from compliance import pipeline
from compliance.reports.statutory import ILLINOIS_COLUMNS
from support import delivered

MONTH = "2016-03"
ICE = "U.S. Immigration and Customs Enforcement"


def detainer(detainer_id, person_id, booking_id, received_at, action, action_at=None):
    return {"detainer_id": detainer_id, "person_id": person_id, "booking_id": booking_id,
            "received_at": received_at, "form_type": "I-247A", "attachments": "I-200",
            "action": action, "action_at": action_at}


def custody(event_id, person_id, booking_id, event_type, event_ts):
    return {"event_id": event_id, "person_id": person_id, "booking_id": booking_id,
            "event_type": event_type, "event_ts": event_ts}


DETAINERS = [
    detainer("D1", "P1", "B1", "2016-03-02T10:00:00-05:00", "held"),
    detainer("D2", "P2", "B2", "2016-03-10T10:00:00-05:00", "declined"),
    detainer("D3", "P3", "B3", "2016-03-15T10:00:00-04:00", "declined"),      # custody log: transferred
    detainer("D4", "P4", "B4", "2016-03-31T23:30:00-04:00", "pending"),       # last local half hour
    detainer("D5", "P1", "B5", "2016-03-20T10:00:00-04:00", "transferred", "2016-03-21T10:00:00-04:00"),
    detainer("D6", "P6", "B6", "2016-04-01T00:30:00-04:00", "declined"),      # April
    detainer("D7", "P7", "B7", "2016-02-29T23:59:00-05:00", "held"),          # February
]
CUSTODY = [
    custody("E1", "P1", "B1", "bail_posted", "2016-03-03T09:00:00-05:00"),
    custody("E2", "P1", "B1", "transferred_to_ice", "2016-03-05T12:00:00-05:00"),
    custody("E3", "P2", "B2", "released", "2016-03-11T08:00:00-05:00"),
    custody("E4", "P3", "B3", "transferred_to_ice", "2016-03-16T09:00:00-04:00"),
]


def test_illinois_and_nyc_exports(tiny_home):
    home = tiny_home(detainers=DETAINERS, custody_events=CUSTODY)
    reports = pipeline.build_reports(home, MONTH)
    with open(reports.files["illinois_csv"], encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == ILLINOIS_COLUMNS
        rows = [tuple(row.values()) for row in reader]
    assert rows == [
        ("1", "2016-03-02", "I-247A", "2016-03-03T09:00:00-05:00", "transferred", "2016-03-05T12:00:00-05:00", ICE),
        ("2", "2016-03-10", "I-247A", "", "released", "2016-03-11T08:00:00-05:00", ""),
        ("3", "2016-03-15", "I-247A", "", "transferred", "2016-03-16T09:00:00-04:00", ICE),
        ("4", "2016-03-20", "I-247A", "", "transferred", "2016-03-21T10:00:00-04:00", ICE),
        ("5", "2016-03-31", "I-247A", "", "neither recorded", "", ""),
    ]
    text = reports.files["illinois_csv"].read_text(encoding="utf-8")
    assert not any(f"{kind}{n}" in text for kind in "DPB" for n in range(1, 8))  # no ids at all

    with open(reports.files["nyc_csv"], encoding="utf-8", newline="") as fh:
        counts = {row["measure"]: int(row["count"]) for row in csv.DictReader(fh)}
    assert counts == {"detainers_received": 5, "people_held_beyond_release": 2, "people_transferred": 2,
                      "people_not_honored": 1}


def test_a_month_without_detainers_certifies_zero(tiny_home):
    """Only a complete month: every source delivered, the detainers as a file of no rows."""
    reports = pipeline.build_reports(tiny_home(**delivered(MONTH)), MONTH)
    assert reports.status == "complete"
    assert reports.files["illinois_csv"].read_text(encoding="utf-8").strip() == ",".join(ILLINOIS_COLUMNS)
    assert "No detainer was received: the agency certifies zero." in reports.ig_html.read_text(encoding="utf-8")
