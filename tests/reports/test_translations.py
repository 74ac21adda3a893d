"""The Spanish edition of the committee summary: built from the gettext catalog, complete, with
numbers and dates as Spanish writes them, and the same figures as the English edition."""
from __future__ import annotations

import re

import pytest

from compliance.reports import i18n
from compliance.reports.messages import messages
from compliance.reports.verify import _Figures
from report_reading import pdf_text

PLACEHOLDER = re.compile(r"%\(\w+\)s")


def spanish_catalog():
    from babel.messages.pofile import read_po

    with i18n.catalog_path("es").open("rb") as handle:
        return read_po(handle, locale="es", domain=i18n.DOMAIN)


def test_the_catalog_translates_every_message_and_keeps_no_stale_one():
    catalog = spanish_catalog()
    wanted = set(messages())
    held = {m.id for m in catalog if m.id}
    assert wanted - held == set(), "run `make messages` and translate the new entries"
    assert held - wanted == set(), "the catalog holds messages the summary no longer shows"
    assert not catalog.obsolete, "drop the obsolete (#~) entries"
    for message in catalog:
        if not message.id:
            continue
        assert message.string and not message.fuzzy, f"untranslated or fuzzy: {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id


def test_the_catalogs_messages_are_extracted_from_the_template_itself():
    found = messages()
    # A trans block becomes one message, whatever its line breaks; variables are named.
    assert "Sharing of arrest data with immigration authorities: summary for %(month_label)s" in found
    # The rules' plain words, which the summary passes through _(), are in the catalog too.
    from compliance.reports.categories import plain_explanation, plain_name

    assert plain_name("ineligible_hold") in found and plain_explanation("ineligible_hold") in found


@pytest.mark.parametrize(("locale", "value", "shown"), [
    ("en", 12345, "12,345"), ("es", 12345, "12.345"), ("en", 7, "7"), ("es", 7, "7")])
def test_numbers_are_grouped_as_the_locale_groups_them(locale, value, shown):
    assert i18n.number(value, locale) == shown


def test_months_and_times_are_written_in_the_locales_words():
    assert i18n.month_name("2018-09", "es") == "septiembre de 2018"
    assert i18n.month_name("2018-09", "en") == "September 2018"
    assert i18n.moment("2026-12-04 18:11:51 UTC", "es") == "4 de diciembre de 2026, 18:11 UTC"


def test_a_suppressed_or_missing_figure_is_said_in_spanish():
    from compliance.reports.render import TEMPLATES, environment

    macro = environment(TEMPLATES, "es").from_string(
        '{% from "macros.html.j2" import cell %}{{ cell("k", c) }}')
    assert ">suprimido<" in macro.render(c={"value": 3, "suppressed": True})
    assert ">3<" not in macro.render(c={"value": 3, "suppressed": True})
    assert ">n. d.<" in macro.render(c=None)
    assert ">12.345<" in macro.render(c={"value": 12345, "suppressed": False})


def figures(path) -> dict[str, str]:
    reader = _Figures()
    reader.feed(path.read_text(encoding="utf-8"))
    return {key: value.strip() for key, value in reader.shown.items()}


def test_the_spanish_edition_shows_the_english_figures_in_spanish(generated):
    files = generated.reports.files
    english, spanish = files["committee_html"], files["committee_es_html"]
    assert spanish.name == f"committee-summary-{generated.month}.es.html"
    assert files["committee_es_pdf"].name == f"committee-summary-{generated.month}.es.pdf"
    text = spanish.read_text(encoding="utf-8")
    assert '<html lang="es">' in text
    assert i18n.month_name(generated.month, "es") in text
    # No fixed sentence of the English template is left untranslated.
    catalog = spanish_catalog()
    untranslated = [m.id for m in catalog if m.id and len(m.id) > 25 and "%(" not in m.id
                    and m.id != m.string and m.id in text]
    assert untranslated == []
    # Every figure, under the same key; only the words for "suppressed" and "n/a" and the digit
    # grouping differ.
    en, es = figures(english), figures(spanish)
    assert en.keys() == es.keys() and len(en) > 30
    words = {"suprimido": "suppressed", "n. d.": "n/a"}
    assert {k: words.get(v, v.replace(".", ",")) for k, v in es.items()} == en
    # The PDF is the same edition, and the English one points to it.
    assert "Hallazgos por tipo" in pdf_text(files["committee_es_pdf"])
    assert spanish.name in english.read_text(encoding="utf-8")
