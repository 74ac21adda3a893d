"""Plain-language names and explanations of the flag categories, for readers who are not auditors:
the committee summary shows them beside every count. Each rule declares its category's in its
metadata (`plain_name`, `plain_explanation`; docs/data-contract.md, "Categories")."""
from __future__ import annotations

from compliance.rules.catalog import catalog_categories

SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational")


def category_order(categories) -> list[str]:
    """The catalog's order (by domain, then report_order) first, then, alphabetically, any category
    no rule declares any more (flags stored before its rule was removed)."""
    known = [c for c in catalog_categories() if c in categories]
    return known + sorted(set(categories) - set(catalog_categories()))


def plain_name(category: str) -> str:
    known = catalog_categories().get(category)
    return known.plain_name if known else category.replace("_", " ").capitalize()


def plain_explanation(category: str) -> str:
    known = catalog_categories().get(category)
    return known.plain_explanation if known else "No plain-language explanation has been written yet."


def domain_of(category: str) -> str:
    """The category's domain (detainers or access); a category no rule declares any more is
    counted with database access."""
    known = catalog_categories().get(category)
    return known.domain if known else "access"
