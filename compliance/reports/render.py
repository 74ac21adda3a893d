"""The Jinja environment of every report and e-mail template: autoescaping everywhere (flag text
quotes logs: SQL statements, search terms, names), every value shown bounded in length with its
control and bidi characters made visible, and the few filters the templates share."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from compliance.display import visible
from compliance.reports.i18n import SOURCE_LOCALE, number, translations

TEMPLATES = Path(__file__).parent / "templates"

# Characters of one value that a report shows. WeasyPrint lays out each line of a paragraph by
# shaping all the text that remains, so a run with no break opportunity (a statement without
# spaces, an ORM's `IN (1000000,1000001,...)` list) costs the square of its length, and a 10 MB
# field would make the HTML as big; the CSV and Parquet exports keep every character.
SHOWN_CHARACTERS = 2000


def day_spans(days: list[str]) -> list[tuple[str, str]]:
    """ISO days as runs of consecutive days, (first, last) each: the days a source missed, read as
    "2018-09-03 to 2018-09-05" rather than three dates."""
    spans: list[list] = []
    for text in sorted(days):
        day = dt.date.fromisoformat(text)
        if spans and day - spans[-1][1] == dt.timedelta(days=1):
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return [(first.isoformat(), last.isoformat()) for first, last in spans]


def shown(text: str) -> str:
    """`text` as the reports show it: at most SHOWN_CHARACTERS, saying how much more there is,
    with its control, format and bidi characters written as `<U+XXXX>` (compliance/display.py)."""
    if len(text) <= SHOWN_CHARACTERS:
        return visible(text)
    return (f"{visible(text[:SHOWN_CHARACTERS])} … [{len(text) - SHOWN_CHARACTERS:,} more characters "
            "not shown here: the CSV and Parquet exports and the warehouse keep the full text]")


def shown_values(value):
    """A JSON-ready value with `shown` applied to every string in it."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {shown(key) if isinstance(key, str) else key: shown_values(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown_values(item) for item in value]
    return value


def _for_display(value):
    """Every `{{ value }}` of a template: text and containers (not markup the code made) go
    through `shown`; numbers stay numbers."""
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, (dict, list, tuple)):
        return shown(str(value))
    return value


@lru_cache(maxsize=8)
def environment(folder: Path = TEMPLATES, locale: str = SOURCE_LOCALE):
    """The environment for one language: `{% trans %}` and `_()` translate through the locale's
    catalog (compliance/reports/i18n.py), `thousands` groups digits as the locale does."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, finalize=_for_display,
                      extensions=["jinja2.ext.i18n"])
    # A translator sees a paragraph as one line, whatever the template's line breaks.
    env.policies["ext.i18n.trimmed"] = True
    catalog = translations(locale)
    env.install_gettext_translations(catalog, newstyle=True)
    # `_()` marks what it returns as safe markup: right for the templates' own literals, wrong
    # for a label that comes with the data (a category read from a flag). Those go through this
    # filter, which returns plain text that autoescaping and `shown` still treat as text.
    env.filters["translate"] = lambda text: catalog.gettext(text) if isinstance(text, str) else text
    env.filters["thousands"] = lambda value: number(value, locale)
    env.filters["day_spans"] = day_spans
    return env


def render(template: str, folder: Path = TEMPLATES, locale: str = SOURCE_LOCALE, **context) -> str:
    return environment(folder, locale).get_template(template).render(locale=locale, **context)
