"""Statutory exports in the shapes of real reporting regimes (docs/reports.md, "Statutory exports").

* Illinois TRUST Act, 5 ILCS 805/25: one row per detainer received, with (A) the date received,
  (B) the date and time criminal bail was posted, (C) released or transferred, (D) when, and
  (E) to which agency. No names and no other identifiers: rows are numbered.
* NYC Admin. Code § 9-131 / § 14-154: detainers received; people held beyond release; people
  transferred to ICE; people whose detainers were not honored.

Both cover the detainers received in the month (by `received_at` in the pack's zone); outcomes are
as known when the report is built, so a later version may fill in a release. Times are ISO 8601 with
the local UTC offset.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from compliance.reports.exports import write_csv

ILLINOIS_COLUMNS = ("record_no", "date_received", "document_type", "bail_posted_at",
                    "released_or_transferred", "released_or_transferred_at", "transferred_to_agency")
NYC_COLUMNS = ("month", "measure", "count", "definition")
NYC_MEASURES = {
    "detainers_received": "Detainers received in the month.",
    "people_held_beyond_release": "People held past release on a detainer received in the month "
                                  "(recorded as held, or handed to ICE).",
    "people_transferred": "People handed to ICE custody under a detainer received in the month "
                          "(custody log or detainer record).",
    "people_not_honored": "People whose detainer received in the month was declined and who were "
                          "not handed to ICE.",
}


def _local(value: str | None, tz: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value).astimezone(ZoneInfo(tz)) if value else None


def illinois_rows(data: dict) -> list[dict]:
    tz = data["timezone"]
    rows = []
    for row in data["illinois"]:
        bail = _local(row["bail_posted_at"], tz)
        outcome_at = _local(row["outcome_at"], tz)
        rows.append({
            "record_no": row["record_no"],
            "date_received": _local(row["received_at"], tz).date().isoformat(),
            "document_type": row["form_type"],
            "bail_posted_at": bail.isoformat() if bail else "",
            "released_or_transferred": row["outcome"] or "neither recorded",
            "released_or_transferred_at": outcome_at.isoformat() if outcome_at else "",
            "transferred_to_agency": row["transferred_to"] or "",
        })
    return rows


def nyc_rows(data: dict) -> list[dict]:
    return [{"month": data["month"], "measure": measure, "count": data["nyc"][measure],
             "definition": definition} for measure, definition in NYC_MEASURES.items()]


def write_illinois(data: dict, path: Path) -> Path:
    return write_csv(path, ILLINOIS_COLUMNS, illinois_rows(data))


def write_nyc(data: dict, path: Path) -> Path:
    return write_csv(path, NYC_COLUMNS, nyc_rows(data))
