"""Reviews survive what really happens to a month: its files ingested again into a new warehouse
and the month re-run; then a late correction of one charge's disposition, which changes one
flag's evidence and sends it, and only it, back to the queue (docs/review.md)."""
from __future__ import annotations

import csv
import json
import shutil

import pytest

from compliance import pipeline
from compliance.review.queue import month_queue, record
from compliance.review.store import open_store

pytestmark = pytest.mark.slow

MONTH = "2018-09"


def queue(home) -> dict[str, dict]:
    with open_store(home) as store:
        return {row["flag_id"]: row for row in month_queue(store, home, MONTH)}


def pending_charge_of_a_hold(home) -> tuple[str, str]:
    """A flagged hold whose booking has a pending charge: (flag id, charge id)."""
    import duckdb

    from compliance.review.state import flags_file
    from compliance.reports import versions

    parquet = flags_file(versions.latest_version(versions.month_dir(home, MONTH)))
    for flag_id, evidence in duckdb.connect().execute(
            "SELECT flag_id, CAST(evidence AS VARCHAR) FROM read_parquet(?) WHERE rule_id = 'ineligible_hold' "
            "ORDER BY flag_id", [str(parquet)]).fetchall():
        for charge in json.loads(evidence).get("charges_considered") or []:
            if charge["disposition"] == "pending":
                return flag_id, charge["charge_id"]
    raise AssertionError("the generated month has no hold with a pending charge")


def test_reviews_survive_a_reingest_and_a_corrected_charge_sends_its_flag_back(tmp_path):
    from compliance.synth import generate

    landing, home = tmp_path / "landing", tmp_path / "home"
    generate(landing, MONTH, MONTH, 1)
    pipeline.ingest_landing(home, landing)
    first = pipeline.run_month(home, MONTH)
    flag_ids = sorted(queue(home))
    assert len(flag_ids) == first["flags"] > 20
    with open_store(home) as store:
        record(store, home, flag_ids, disposition="confirmed", note="", reviewer="ana")

    # The same files into a new warehouse, the month run again.
    (home / "warehouse.duckdb").unlink()
    pipeline.ingest_landing(home, landing)
    second = pipeline.run_month(home, MONTH)
    assert second["flags"] == first["flags"]
    after = queue(home)
    assert sorted(after) == flag_ids
    assert {(row["disposition"], row["changed_since_review"], row["still_raised"]) for row in after.values()} == {
        ("confirmed", False, True)}

    # A late correction: the pending charge is dismissed. The hold is still unlawful (no
    # qualifying conviction), but on other evidence: it goes back to the queue; nothing else does.
    target, charge_id = pending_charge_of_a_hold(home)
    charges = landing / "charges" / f"charges_{MONTH}.csv"
    with charges.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    [row] = [r for r in rows if r["charge_id"] == charge_id]
    row.update(disposition="dismissed", disposition_date="2018-09-28")
    staged = tmp_path / "charges.csv"
    with staged.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    shutil.move(staged, charges)
    pipeline.ingest_landing(home, landing)
    third = pipeline.run_month(home, MONTH)
    assert third["new_report_version"]
    final = queue(home)
    assert (final[target]["disposition"], final[target]["changed_since_review"], final[target]["still_raised"]) == (
        "", True, True)
    assert {f for f, row in final.items() if row["changed_since_review"]} == {target}
    assert all(row["disposition"] == "confirmed" for f, row in final.items() if f != target)
    with open_store(home) as store:
        assert [d.disposition for d in store.history(target)] == ["confirmed"]  # its decision is kept
