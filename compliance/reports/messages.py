"""The messages the committee summary translates, and the catalogs that hold their translations.

`python -m compliance.reports.messages` (`make messages`) extracts every message and updates each
edition's catalog with Babel: a new message is added untranslated, a changed one is marked fuzzy
with its old translation as a hint, and one no longer used is kept as obsolete (`#~`) for the
translator to drop. Until a message is translated it is shown in English (i18n.py);
tests/reports/test_translations.py fails while any is.

Messages come from three places: the templates' `{% trans %}` blocks and `_('...')` calls, the
labels the code passes to `_()` in the template (the rules' plain names and explanations, the
detainer measures, the report statuses), and the policy packs' committee texts, which the summary
quotes (a pack of another city falls back to its own language until its texts are translated).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from compliance.config import DEFAULT_POLICY
from compliance.reports.i18n import COMMITTEE_EDITIONS, DOMAIN, SOURCE_LOCALE, catalog_path
from compliance.reports.render import TEMPLATES

# The templates the committee summary is rendered from.
TEMPLATE_FILES = ("committee_summary.html.j2", "macros.html.j2")
# What the macros show for a missing figure (their defaults and the committee template's argument).
MACRO_MESSAGES = ("—", "not evaluated", "not reported")


def template_messages() -> dict[str, list[tuple]]:
    """{message: [("committee_summary.html.j2", 12), ...]} from the templates."""
    from babel.messages.extract import extract
    from jinja2.ext import babel_extract

    found: dict[str, list[tuple]] = {}
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "trim_blocks": "true",
               "lstrip_blocks": "true"}
    for name in TEMPLATE_FILES:
        with (TEMPLATES / name).open("rb") as handle:
            for line, message, _comments, _context in extract(babel_extract, handle, options=options):
                found.setdefault(message, []).append((f"templates/{name}", line))
    return found


def code_messages() -> dict[str, list[tuple]]:
    """{message: [(where, None)]} for the labels the code hands to the template."""
    import yaml

    from compliance.reports.committee import CHARGE_PLAIN, FIGURE_LABELS, NYC_PLAIN
    from compliance.reports.manifest import REPORT_STATUSES
    from compliance.rules.catalog import catalog_categories

    found: dict[str, list[tuple]] = {}

    def add(message: str, where: str) -> None:
        if message:
            found.setdefault(message, []).append((where, None))

    for category, known in catalog_categories().items():
        add(known.plain_name, f"rules[{category}].plain_name")
        add(known.plain_explanation, f"rules[{category}].plain_explanation")
    for key, label in {**CHARGE_PLAIN, **NYC_PLAIN}.items():
        add(label, f"committee.py[{key}]")
    for label in FIGURE_LABELS:
        add(label, "committee.py[FIGURE_LABELS]")
    for status in REPORT_STATUSES:
        add(status, "manifest.py[REPORT_STATUSES]")
    for message in MACRO_MESSAGES:
        add(message, "messages.py[MACRO_MESSAGES]")
    for pack in sorted(DEFAULT_POLICY.parent.glob("*.yaml")):
        block = (yaml.safe_load(pack.read_text(encoding="utf-8")) or {}).get("committee_summary") or {}
        add(block.get("rationale", ""), f"policies/{pack.name}[committee_summary.rationale]")
        for citation in block.get("citations") or []:
            add(citation, f"policies/{pack.name}[committee_summary.citations]")
    return found


def messages() -> dict[str, list[tuple]]:
    """Every message of the committee summary, with where it comes from."""
    found = template_messages()
    for message, places in code_messages().items():
        found.setdefault(message, []).extend(places)
    return found


def update_catalogs(editions=COMMITTEE_EDITIONS) -> list[Path]:
    """Bring each edition's catalog up to date with `messages()`; return the files written."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = Catalog(domain=DOMAIN, project="compliance", fuzzy=False)
    for message, places in sorted(messages().items()):
        template.add(message, locations=places)
    written = []
    for locale in editions:
        if locale == SOURCE_LOCALE:
            continue
        path = catalog_path(locale)
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, domain=DOMAIN, project="compliance", fuzzy=False)
        # Dated by its messages, not by this run: an update that changes nothing leaves no diff.
        template.creation_date = catalog.creation_date
        catalog.update(template, update_header_comment=False)
        text = io.BytesIO()  # written whole, so that a failure leaves the old catalog intact
        write_po(text, catalog, width=100, sort_output=True, include_previous=True)
        path.write_bytes(text.getvalue())
        written.append(path)
    return written


if __name__ == "__main__":
    for written in update_catalogs():
        print(written.relative_to(Path.cwd()) if written.is_relative_to(Path.cwd()) else written)
    sys.exit(0)
