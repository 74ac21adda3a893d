"""The one escaping of text for a reader (compliance/display.py): which characters, and how."""
from __future__ import annotations

import sys
import unicodedata

from compliance.display import ESCAPED_RANGES, visible, visible_values

ESCAPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def test_the_escaped_ranges_are_exactly_the_control_format_and_separator_characters():
    listed = {c for first, last in ESCAPED_RANGES for c in range(first, last + 1)}
    categorised = {c for c in range(sys.maxunicode + 1)
                   if unicodedata.category(chr(c)) in ESCAPED_CATEGORIES}
    assert sorted(listed - categorised) == [] and sorted(categorised - listed) == [], \
        f"Unicode {unicodedata.unidata_version}: update ESCAPED_RANGES"


def test_bidi_ansi_and_nul_are_written_as_code_points():
    assert visible("PPD-D01-0417\u202eresu_eci") == "PPD-D01-0417<U+202E>resu_eci"
    assert visible("\u2066x\u2069 \u200e\u200f") == "<U+2066>x<U+2069> <U+200E><U+200F>"
    assert visible("\x1b[2J\x00end\x9b") == "<U+001B>[2J<U+0000>end<U+009B>"
    assert visible("a\tb\r\nc\u2028") == "a<U+0009>b<U+000D><U+000A>c<U+2028>"
    assert visible("tag\U000e0041") == "tag<U+E0041>"
    assert visible("bad byte \udcff") == "bad byte <U+DCFF>"


def test_printable_text_is_unchanged():
    text = "Ramírez, Nguyễn 阮, Müller-Łukasz 🙂 <b>&amp; SELECT * FROM persons"
    assert visible(text) == text


def test_every_string_of_a_json_value_is_escaped_keys_included():
    value = {"statement\u202e": ["SELECT \x1b[31m", {"n": 3, "x": None, "ok": True}], "t": "\x00"}
    assert visible_values(value) == {"statement<U+202E>": ["SELECT <U+001B>[31m", {"n": 3, "x": None,
                                                                                    "ok": True}],
                                     "t": "<U+0000>"}
