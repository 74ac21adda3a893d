"""Small-count suppression: small counts are hidden, and none can be recovered from the total."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from compliance.reports.suppression import Cell, protect_each, protect_table, visible_difference


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


def test_counts_without_a_total_hide_only_small_ones():
    assert protect_each({"a": 0, "b": 3, "c": 11}, 11) == {
        "a": Cell(0, False), "b": Cell(3, True), "c": Cell(11, False)}


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
