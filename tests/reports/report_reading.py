"""Reading reports back the way a test needs them: every marked figure, the text of tables, PDFs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

NUMBER = re.compile(r"[+-]?\d[\d,]*")
VOID = {"br", "meta", "img", "hr", "input", "link", "wbr", "col", "source", "area", "base"}


@dataclass
class Metric:
    key: str
    text: str
    attrs: dict

    @property
    def suppressed(self) -> bool:
        return self.attrs.get("data-suppressed") == "true"

    @property
    def missing(self) -> bool:
        return "data-missing" in self.attrs

    @property
    def value(self) -> int:
        return int(self.text.replace(",", "").replace("+", ""))


@dataclass
class Reading:
    metrics: list[Metric] = field(default_factory=list)
    # Text of tables marked data-all-numbers-marked, outside figures, <time> and <caption>.
    loose_table_text: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    tags: list[tuple[str, dict]] = field(default_factory=list)

    def by_key(self) -> dict[str, list[Metric]]:
        grouped: dict[str, list[Metric]] = {}
        for metric in self.metrics:
            grouped.setdefault(metric.key, []).append(metric)
        return grouped


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.reading = Reading()
        self.stack: list[tuple[str, dict]] = []
        self.metric: Metric | None = None
        self.metric_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.reading.tags.append((tag, attrs))
        if tag in VOID:
            return
        self.stack.append((tag, attrs))
        if "data-metric" in attrs and self.metric is None:
            self.metric = Metric(attrs["data-metric"], "", attrs)
            self.metric_depth = len(self.stack)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if self.metric is not None and len(self.stack) < self.metric_depth:
                self.metric.text = self.metric.text.strip()
                self.reading.metrics.append(self.metric)
                self.metric = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        self.reading.text.append(data)
        if self.metric is not None:
            self.metric.text += data
            return
        names = [t for t, _ in self.stack]
        in_marked_table = any(t == "table" and "data-all-numbers-marked" in a for t, a in self.stack)
        if in_marked_table and not {"time", "caption", "style"} & set(names):
            self.reading.loose_table_text.append(data)


def parse_html(text: str) -> Reading:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.reading


def read_html(path: Path) -> Reading:
    return parse_html(Path(path).read_text(encoding="utf-8"))


def pdf_text(source) -> str:
    """All text of a PDF (path or bytes), page after page."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def numbers(text: str) -> list[str]:
    return [n.replace(",", "") for n in NUMBER.findall(text)]


def is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)
