"""The Jinja environment of every report template: autoescaping everywhere (flag text quotes logs:
SQL statements, search terms, names), and the few filters the templates share."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def thousands(value) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@lru_cache(maxsize=4)
def environment(folder: Path = TEMPLATES):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["thousands"] = thousands
    env.filters["pretty"] = pretty
    return env


def render(template: str, folder: Path = TEMPLATES, **context) -> str:
    return environment(folder).get_template(template).render(**context)
