"""Small-count suppression for the committee summary.

A count from 1 to `threshold - 1` is suppressed (primary suppression). A table that also shows its
total would give a lone suppressed count away by subtraction, so more counts are suppressed, the
smallest first (complementary suppression), until every table with a visible total has either no
suppressed count or at least two whose sum is at least `threshold` and more than their number:
then the visible figures only bound each hidden one. A total below the threshold is suppressed itself, with every count under it.

The rendered summary says "suppressed" for both kinds alike, so a reader cannot tell which hidden
count is the small one. Anything derived from counts (changes since last month or since the
previous version) is shown only where every count it is computed from is visible, so it gives
nothing away that the table does not.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    value: int
    suppressed: bool

    def shown(self) -> int | None:
        return None if self.suppressed else self.value

    def as_dict(self) -> dict:
        return {"value": self.value, "suppressed": self.suppressed}


def is_small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def _protected(count: int, hidden_sum: int, threshold: int) -> bool:
    """Hidden counts are each at least 1 (zeros are shown), so a reader who knows their sum can only
    place each between 1 and sum - (count - 1): never one value if sum > count, and count >= 2."""
    return count >= 2 and hidden_sum >= threshold and hidden_sum > count


def protect_table(values: dict[str, int], threshold: int) -> tuple[dict[str, Cell], Cell]:
    """Counts shown with their total: primary and complementary suppression (see the module)."""
    total = sum(values.values())
    if is_small(total, threshold):
        return {key: Cell(value, value > 0) for key, value in values.items()}, Cell(total, True)
    hidden = {key for key, value in values.items() if is_small(value, threshold)}
    candidates = sorted((value, key) for key, value in values.items() if value > 0 and key not in hidden)
    for value, key in candidates:
        if not hidden or _protected(len(hidden), sum(values[k] for k in hidden), threshold):
            break
        hidden.add(key)
    # Every count is hidden and still too few or all ones (e.g. 1 and 1): only hiding the total helps.
    total_hidden = bool(hidden) and not _protected(len(hidden), sum(values[k] for k in hidden), threshold)
    return {key: Cell(value, key in hidden) for key, value in values.items()}, Cell(total, total_hidden)


def visible_difference(new: Cell | None, old: Cell | None) -> int | None:
    """new - old, only when both are shown."""
    if new is None or old is None or new.suppressed or old.suppressed:
        return None
    return new.value - old.value
