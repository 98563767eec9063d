"""Write ``<name>.ipynb``, ``<name>.html`` and ``<name>.pdf`` into the job's staged outputs.

Each format is rendered in memory and written to a hidden temporary file first; only a complete
file is moved to its staged name (and so registered with the writer). A format that fails leaves
nothing behind, the others are still written, and :class:`ReportError` then says what failed.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from typing import Any, Callable, Mapping

from analyzer.config import DEFAULT_REPORT_NAME as DEFAULT_NAME, DEFAULT_REPORT_TITLE as DEFAULT_TITLE
from analyzer.output import OutputWriter, to_json_text
from analyzer.report.context import ReportContext
from analyzer.report.document import build_report
from analyzer.report.html import render_html
from analyzer.report.notebook import render_notebook
from analyzer.report.pdf import render_pdf
from analyzer.report.pdf_process import PdfProcess, PdfProcessError, take

log = logging.getLogger("analyzer.report")

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ReportError(Exception):
    """Some report formats could not be written; ``written`` lists those that were."""

    def __init__(self, problems: list[str], written: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.written = written


def report_basename(name: str | None) -> str:
    """``methods.report.name`` as a file name: no directories, nothing a file system would choke on."""
    base = _SAFE_NAME.sub("_", (name or "").strip()).strip("._") or DEFAULT_NAME
    return base[:100]


def _stage(writer: OutputWriter, relative: str, render: Callable[[], bytes]) -> None:
    """Render, write to a temporary file, then move it to its staged name in one step."""
    data = render()
    temporary = writer.staging / f".{relative}.partial"
    try:
        temporary.write_bytes(data)
        os.replace(temporary, writer.path(relative))
    finally:
        temporary.unlink(missing_ok=True)


def _pdf(html: str, process: PdfProcess | None) -> Callable[[], bytes]:
    """The PDF's renderer. With the process started for this job (:mod:`analyzer.report.pdf_process`)
    the page goes to it now, and is laid out there while this process writes the notebook."""
    if process is None:
        return lambda: render_pdf(html)
    process.send(html)
    return process.result


def write_reports(writer: OutputWriter, analysis: Mapping[str, Any], context: ReportContext,
                  name: str = DEFAULT_NAME, title: str = DEFAULT_TITLE) -> list[str]:
    """Stage the notebook, HTML and PDF reports of ``analysis``; return their relative paths.

    The document is read as analysis.json will hold it (±inf as "Infinity" text, NaN as null).
    Raises :class:`ReportError` (after writing what it could) when a format fails; the caller
    decides that a report failure does not fail the analysis.
    """
    started = time.monotonic()
    base = report_basename(name)
    report = build_report(json.loads(to_json_text(analysis)), context, title or DEFAULT_TITLE)
    html = render_html(report)
    process = take()
    try:
        formats: list[tuple[str, Callable[[], bytes]]] = [
            (f"{base}.ipynb", lambda: render_notebook(report).encode("utf-8")),
            (f"{base}.html", lambda: html.encode("utf-8")),
            (f"{base}.pdf", _pdf(html, process)),
        ]
        written, problems = [], []
        for relative, render in formats:
            try:
                _stage(writer, relative, render)
                written.append(relative)
            except Exception as exc:  # one format's failure must not cost the others
                reason = str(exc) if isinstance(exc, PdfProcessError) else f"{type(exc).__name__}: {exc}"
                log.warning("Could not write %s: %s", relative, reason)
                problems.append(f"{relative}: {reason}")
    finally:   # stopped, or a bug: the PDF process ends with the reports
        if process is not None:
            process.stop()
    log.info("Wrote reports %s in %.1f s", ", ".join(written) or "(none)", time.monotonic() - started)
    if problems:
        raise ReportError(problems, written)
    return written
