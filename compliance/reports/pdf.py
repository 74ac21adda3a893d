"""HTML to PDF with WeasyPrint, offline and tagged.

The fetcher allows `data:` URLs only, so a report can never make WeasyPrint reach the network or
read a local file, whatever the data put in it. PDF/UA-1 output is tagged (structure tree, language,
title from <title>) for screen readers.
"""
from __future__ import annotations

import logging
from pathlib import Path


def write_pdf(html: str, path: Path) -> int:
    """Write `html` as a tagged PDF/UA-1 file at `path`; return its page count."""
    # WeasyPrint logs each rendering step at INFO ("Step 2 - Fetching and parsing CSS"), from its
    # import on; a task log needs its warnings only.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    options = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, url_fetcher=fetcher, base_url=None).render(**options)
    document.write_pdf(str(path), **options)
    return len(document.pages)
