"""The choices a report run may change. All of them are part of a version's fingerprint."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from compliance.errors import ComplianceError

# Five: each rule's incidents are listed by subject above its detailed flags.
DEFAULT_PDF_FLAGS_PER_RULE = 5
DEFAULT_HTML_FLAGS_PER_RULE = 200


@dataclass(frozen=True)
class ReportOptions:
    """`suppress_below`: in the committee summary's tables of people by their attributes, a count
    from 1 to suppress_below - 1 is shown as suppressed (0 is shown: it describes nobody); None
    takes the policy pack's `committee_summary.suppress_below`. `pdf_flags_per_rule` and `html_flags_per_rule`:
    how many flags of each rule the IG report's PDF and HTML detail, so that a month with a
    million flags still renders in bounded time and memory; the CSV/Parquet exports always carry
    every flag."""

    suppress_below: int | None = None
    pdf_flags_per_rule: int = DEFAULT_PDF_FLAGS_PER_RULE
    html_flags_per_rule: int = DEFAULT_HTML_FLAGS_PER_RULE

    def __post_init__(self):
        if self.suppress_below is not None and (not isinstance(self.suppress_below, int)
                                                or self.suppress_below < 1):
            raise ComplianceError(f"must be a whole number of at least 1, got {self.suppress_below!r}",
                                  field="suppress_below")
        for name in ("pdf_flags_per_rule", "html_flags_per_rule"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ComplianceError(f"must be a whole number of at least 0, got {value!r}", field=name)

    @property
    def flags_detailed_per_rule(self) -> int:
        """How many flags of each rule the report data carries: enough for either form."""
        return max(self.pdf_flags_per_rule, self.html_flags_per_rule)

    def as_dict(self) -> dict:
        return asdict(self)
