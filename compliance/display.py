"""Text for a reader's eyes: control, format and bidi characters written as visible escapes.

Log text is shaped by whoever wrote the log. A right-to-left override (U+202E) makes the stored
account `PPD-D01-0417<U+202E>resu_eci` read as "PPD-D01-0417ice_user", an ANSI escape (U+001B)
rewrites the terminal that prints it, a NUL ends a string early in some viewers. Every output a
person reads (the reports, the e-mails, the command line) passes its text through `visible`, which
writes each such character as `<U+XXXX>`; the CSV and Parquet exports keep the exact value
(docs/reports.md, "Hostile text").
"""
from __future__ import annotations

import re

# Every character of the Unicode categories Cc (controls: NUL, ESC, tab, line breaks, C1), Cf
# (format: bidi embeddings, overrides, isolates and marks, zero-width characters, the soft hyphen,
# tags), Zl and Zp (line and paragraph separators) and Cs (lone surrogates: the bytes that
# surrogateescape could not decode), as of Unicode 14.0 (Python 3.11). Written out rather than
# read from `unicodedata`, so that the SQL of the exports matches it on every machine;
# tests/test_display.py checks it against `unicodedata`.
ESCAPED_RANGES = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C),
    (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xD800, 0xDFFF),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
ESCAPED = re.compile("[" + "".join(f"\\U{first:08X}-\\U{last:08X}" for first, last in ESCAPED_RANGES) + "]")


def escape_of(character: str) -> str:
    """How `visible` writes one escaped character: `<U+202E>`, `<U+0000>`, `<U+E0041>`."""
    return f"<U+{ord(character):04X}>"


def visible(text: str) -> str:
    """`text` with every character of ESCAPED_RANGES written as its escape, the rest unchanged."""
    return ESCAPED.sub(lambda match: escape_of(match.group()), text)


def visible_values(value):
    """A JSON-ready value with `visible` applied to every string in it, keys included."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible_values(key): visible_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [visible_values(item) for item in value]
    return value
