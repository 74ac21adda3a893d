"""Small-count suppression: small counts are hidden, and none can be recovered from the total."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from compliance.reports.suppression import Cell, protect_table, visible_difference


def test_a_lone_small_count_takes_the_smallest_other_count_with_it():
    cells, total = protect_table({"a": 3, "b": 40, "c": 12, "d": 0}, threshold=11)
    assert {k for k, c in cells.items() if c.suppressed} == {"a", "c"}
    assert total == Cell(55, False) and cells["d"] == Cell(0, False)


def test_two_small_counts_that_add_up_to_little_take_a_third():
    cells, _ = protect_table({"a": 1, "b": 1, "c": 30, "d": 50}, threshold=11)
    assert {k for k, c in cells.items() if c.suppressed} == {"a", "b", "c"}


def test_a_small_total_hides_everything_but_zeros():
    cells, total = protect_table({"a": 2, "b": 0, "c": 5}, threshold=11)
    assert total.suppressed and cells["a"].suppressed and cells["c"].suppressed
    assert not cells["b"].suppressed


def test_changes_are_only_computed_from_visible_counts():
    assert visible_difference(Cell(15, False), Cell(12, False)) == 3
    assert visible_difference(Cell(15, False), Cell(3, True)) is None
    assert visible_difference(Cell(15, False), None) is None


@settings(max_examples=400, deadline=None)
@given(values=st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 60), min_size=1),
       threshold=st.integers(2, 15))
@example(values={"a": 1, "b": 1, "c": 5}, threshold=2)
@example(values={"a": 1, "b": 1}, threshold=2)
def test_no_suppressed_count_can_be_recovered(values, threshold):
    cells, total = protect_table(values, threshold)
    hidden = [k for k, c in cells.items() if c.suppressed]
    assert all(cells[k].value == v for k, v in values.items())
    for key, value in values.items():
        if 0 < value < threshold:
            assert cells[key].suppressed, key  # every small count is hidden
        if value == 0:
            assert not cells[key].suppressed  # zero describes nobody
    if total.suppressed:
        assert all(c.suppressed for c in cells.values() if c.value)
        return
    if hidden:
        # What a reader can compute: the hidden counts' sum. Each is at least 1, so each could be
        # anything from 1 to sum - (n - 1): never a single value, and the sum is not small.
        hidden_sum = total.value - sum(c.value for c in cells.values() if not c.suppressed)
        assert len(hidden) >= 2 and hidden_sum >= threshold and hidden_sum - (len(hidden) - 1) > 1


def test_version_notes_say_only_that_a_suppressed_charge_count_changed():
    from compliance.reports.committee import version_notes
    from compliance.reports.statutory import NYC_MEASURES

    def committee(rows: dict[str, int]) -> dict:
        cells, total = protect_table(rows, 11)
        return {"categories": [], "total": {"current": {"value": 0, "suppressed": False}},
                "nyc": {m: {"value": 3, "suppressed": False} for m in NYC_MEASURES}, "by_charge": {"rows": {k: c.as_dict() for k, c in cells.items()},
                                         "total": total.as_dict()}}

    policy = {"name": "philadelphia", "version": "1", "sha256": "a" * 64}
    before = {"version": "v1", "generated_at": "then", "status": "complete", "policy_pack": policy,
              "committee": committee({"serious_felony": 20, "other_felony": 4, "misdemeanor_or_other": 9,
                                      "no_charge": 0})}
    after = committee({"serious_felony": 20, "other_felony": 5, "misdemeanor_or_other": 9, "no_charge": 0})
    notes = version_notes(before, after, "complete", policy)
    # The visible total may be said; the suppressed count that moved only to have changed.
    assert notes["hidden_changed"] and notes["policy"] is None
    assert notes["figures"] == [{"label": ["Detainers received, by charge", "all"], "before": 33, "after": 34}]
    # The same version string over changed content is a policy change.
    changed = version_notes(before, after, "complete", {**policy, "sha256": "b" * 64})
    assert changed["policy"]["before"]["sha256"] == "a" * 64 and changed["policy"]["after"]["sha256"] == "b" * 64
