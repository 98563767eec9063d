"""The report as a paged PDF, laid out by WeasyPrint from the same HTML page.

WeasyPrint (PyPI; needs Debian's Pango) reads the page's print rules: A4, page numbers, and
``break-inside: avoid`` on every table and chart block so none is cut across pages. It draws the
inline SVG charts as vectors. No network is used: the page references nothing outside itself, and
a URL fetcher that refuses everything makes sure of it.
"""
from __future__ import annotations

import logging

log = logging.getLogger("analyzer.report")


class OfflineOnly(Exception):
    pass


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict:
    raise OfflineOnly(f"the report must not load {url}")


def render_pdf(html: str) -> bytes:
    """``html`` (a self-contained page) as PDF bytes."""
    import weasyprint   # imported here: slow to import, and only this format needs it

    # WeasyPrint logs each CSS feature it skips at WARNING; for our fixed page that is noise.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_no_fetch)
    return document.write_pdf()
