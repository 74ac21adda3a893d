"""Re-runs: the same data keeps the version; late data makes a new one that says what changed, in
the IG report fully and in the committee summary without giving a suppressed count away."""
from __future__ import annotations

import hashlib
import json
import stat

from compliance import pipeline, warehouse
from report_helpers import flag_row, insert_rows
from support import delivered
from report_reading import read_html

MONTH = "2016-03"


def flags(prefix: str, count: int, **kwargs) -> list[dict]:
    return [flag_row(f"{prefix}{i:03d}", MONTH, subject_id=f"D{prefix}{i}", person_id=f"P{prefix}{i}", **kwargs)
            for i in range(count)]


def test_late_data_makes_a_new_version_that_states_what_changed(tiny_home):
    home = tiny_home(flags=flags("h", 20) + flags("a", 2, rule_id="access_outside_agreement",
                                                  category="access_outside_agreement", severity="critical")
                     + flags("r", 15, rule_id="needs_review", category="needs_review", severity="medium"),
                     **delivered(MONTH))
    first = pipeline.build_reports(home, MONTH)
    assert (first.version, first.created, first.status) == ("v1", True, "complete")
    first_files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in first.directory.iterdir()}

    again = pipeline.build_reports(home, MONTH)
    assert (again.version, again.created) == ("v1", False)

    # Late data: a new detainer file, three more holds and one more access flag.
    late = flags("late", 3) + flags("b", 1, rule_id="access_outside_agreement",
                                    category="access_outside_agreement", severity="critical")
    with warehouse.connect(home) as con:
        insert_rows(con, "flags", late)
        insert_rows(con, "batches", [{"batch_id": "b-late", "source": "canonical", "table_name": "detainers",
                                      "path": "landing/detainers/detainers_2016-03-late.csv", "sha256": "ab" * 32,
                                      "rows_read": 3, "rows_loaded": 3, "rows_quarantined": 0, "rows_ignored": 0,
                                      "ignored_reasons": "{}", "ingested_at": "2016-04-02T10:00:00Z"}])
    second = pipeline.build_reports(home, MONTH)
    assert (second.version, second.created) == ("v2", True)
    assert (home / "reports" / MONTH / "latest").resolve() == second.directory.resolve()
    # The earlier version is kept, byte for byte.
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in first.directory.iterdir()} == first_files

    manifest = json.loads((second.directory / "manifest.json").read_text())
    changes = manifest["changes"]
    assert changes["previous_version"] == "v1"
    assert changes["flags_added"] == sorted(f["flag_id"] for f in late)
    assert (changes["flags_added_count"], changes["flags_removed_count"], changes["flags_changed_count"]) == (4, 0, 0)
    assert changes["flags_removed"] == [] and changes["flags_changed"] == []
    assert changes["inputs_added"] == ["landing/detainers/detainers_2016-03-late.csv"]
    assert {c["category"]: (c["before"], c["after"]) for c in changes["counts"]} == {
        "ineligible_hold": (20, 23), "access_outside_agreement": (2, 3)}

    ig = {m.key: m for m in read_html(second.ig_html).metrics}
    assert ig["changes.flags_added"].value == 4
    assert (ig["changes.count.ineligible_hold.before"].value, ig["changes.count.ineligible_hold.after"].value) == (20, 23)
    ig_text = second.ig_html.read_text(encoding="utf-8")
    assert "What changed since v1" in ig_text and all(f["flag_id"] in ig_text for f in late)

    committee = read_html(second.files["committee_html"])
    notes = {m.key: m.value for m in committee.metrics if m.key.startswith("committee.changed.")}
    # Counts of the city's acts and flagged queries are shown as they are, small ones too: holds
    # (20 -> 23), access (2 -> 3) and the total (37 -> 41); no suppressed figure is involved.
    assert sorted((notes[f"committee.changed.{i}.before"], notes[f"committee.changed.{i}.after"])
                  for i in range(1, len(notes) // 2 + 1)) == [(2, 3), (20, 23), (37, 41)]
    text = " ".join(committee.text)
    assert "Some figures that are suppressed in one of the two summaries also changed" not in text
    assert "replaces v1" in text

    for path in [second.directory, *second.directory.iterdir(), first.directory]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))


def test_incomplete_month_is_marked_in_both_reports(tiny_home):
    home = tiny_home(flags=flags("h", 2), blocking_ok=False, **delivered(MONTH))
    reports = pipeline.build_reports(home, MONTH)
    assert reports.status == "INCOMPLETE" and reports.incomplete
    assert "INCOMPLETE: blocking data-quality checks failed" in reports.ig_html.read_text(encoding="utf-8")
    assert "INCOMPLETE: some of this month" in reports.files["committee_html"].read_text(encoding="utf-8")


def test_removed_and_changed_flags_are_counted_and_listed_up_to_a_cap(tiny_home, monkeypatch):
    from compliance.reports import manifest as manifest_module

    home = tiny_home(flags=flags("h", 6))
    first = pipeline.build_reports(home, MONTH)
    with warehouse.connect(home) as con:
        con.execute("DELETE FROM flags WHERE flag_id IN ('h000', 'h001')")
        con.execute("UPDATE flags SET summary = 'held, and the summary was rewritten' WHERE flag_id = 'h002'")
    monkeypatch.setattr(manifest_module, "LISTED_FLAG_CHANGES", 1)
    second = pipeline.build_reports(home, MONTH)
    assert (first.version, second.version) == ("v1", "v2")
    changes = json.loads((second.directory / "manifest.json").read_text())["changes"]
    assert (changes["flags_added_count"], changes["flags_removed_count"], changes["flags_changed_count"]) == (0, 2, 1)
    assert (changes["flags_added"], changes["flags_removed"], changes["flags_changed"]) == ([], ["h000"], ["h002"])
    ig = {m.key: m for m in read_html(second.ig_html).metrics}
    assert tuple(ig[f"changes.flags_{kind}"].value for kind in ("added", "removed", "changed")) == (0, 2, 1)
    assert "Removed: h000 and 1 more" in " ".join(read_html(second.ig_html).text)
