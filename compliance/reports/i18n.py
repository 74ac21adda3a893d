"""Editions of the committee summary in other languages, from gettext catalogs read with Babel.

English is the source language: the templates and the rules' metadata are written in it, and it
needs no catalog. Every other edition's fixed text is translated once, in
`compliance/reports/locale/<locale>/LC_MESSAGES/reports.po`, which a translator reviews like any
other file; `make messages` brings it up to date with the text (compliance/reports/messages.py).
Numbers and month names follow the locale's conventions (CLDR, through Babel). A message the
catalog does not translate yet, or marks fuzzy, is shown in English rather than guessed.
"""
from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import lru_cache
from pathlib import Path

from compliance.months import parse_month

SOURCE_LOCALE = "en"
# The committee summary is published in each of these; the first is the source language.
COMMITTEE_EDITIONS = ("en", "es")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "reports"


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def translations(locale: str) -> gettext.NullTranslations:
    """The locale's translations, compiled in memory from its .po catalog (no .mo file to keep in
    step with it)."""
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def number(value, locale: str) -> str:
    """A whole number with the locale's grouping: 1,234 in English, 1.234 in Spanish."""
    if not isinstance(value, int) or isinstance(value, bool):
        return str(value)
    if locale == SOURCE_LOCALE:
        return f"{value:,}"
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale)


def month_name(month: str, locale: str) -> str:
    """"September 2018", "septiembre de 2018"."""
    from babel.dates import format_skeleton

    year, mon = parse_month(month)
    return format_skeleton("yMMMM", dt.date(year, mon, 1), locale=locale)


def moment(stamp: str, locale: str) -> str:
    """A manifest's time ("2026-12-04 18:11:51 UTC") or a review store's ("2026-12-04T18:11:51Z")
    in the locale's words: "4 December 2026, 18:11 UTC", "4 de diciembre de 2026, 18:11 UTC".
    Anything else is returned as it is."""
    from babel.dates import format_date

    for pattern in ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            when = dt.datetime.strptime(stamp, pattern)
            break
        except ValueError:
            continue
    else:
        return stamp
    return f"{format_date(when.date(), 'long', locale=locale)}, {when:%H:%M} UTC"


def committee_output(locale: str, extension: str) -> tuple[str, str]:
    """An edition's key in a version's outputs and its file name pattern: ("committee_html",
    "committee-summary-{month}.html") in the source language, ("committee_es_pdf",
    "committee-summary-{month}.es.pdf") in Spanish."""
    if locale == SOURCE_LOCALE:
        return f"committee_{extension}", f"committee-summary-{{month}}.{extension}"
    return f"committee_{locale}_{extension}", f"committee-summary-{{month}}.{locale}.{extension}"
