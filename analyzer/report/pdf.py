"""The report as a paged PDF, laid out by WeasyPrint from the same HTML page.

WeasyPrint (PyPI; needs Debian's Pango) reads the page's print rules: A4, page numbers, and
``break-inside: avoid`` on every table and chart block so none is cut across pages. It draws the
inline SVG charts as vectors, with the raster layers of dense charts as embedded PNG ``data:``
URIs. The page references nothing else, and the URL fetcher allows ``data:`` only, so the PDF
step can never reach a network or the file system.
"""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("analyzer.report")


def _data_only_fetcher(weasyprint: Any) -> Any:
    if hasattr(weasyprint, "URLFetcher"):                       # WeasyPrint >= 66
        return weasyprint.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:     # older releases: a plain function
        if not url.startswith("data:"):
            raise ValueError(f"the report must not load {url}")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def load_weasyprint() -> Any:
    """WeasyPrint, imported here (slow to import, and only this format needs it) and made quiet."""
    import weasyprint

    # WeasyPrint logs each CSS feature it skips at WARNING; for our fixed page that is noise.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint


def render_pdf(html: str) -> bytes:
    """``html`` (a self-contained page) as PDF bytes."""
    weasyprint = load_weasyprint()
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_data_only_fetcher(weasyprint))
    return document.write_pdf()
