"""Reports people read: ``<name>.ipynb``, ``<name>.html`` and ``<name>.pdf`` from the analysis result.

One report model (:func:`build_report`) is built from the analysis.json document and a small
:class:`ReportContext` (run facts, the bias stages' group statistics, optional local SHAP values,
warnings), itself built from the job's results only (:func:`build_context`); three renderers lay it
out. :mod:`analyzer.report.verdict` judges the result once for the report's summary of concern and
the console. Charts are pure functions of the result.

The names below are imported on first use: the PDF process (:mod:`analyzer.report.pdf_process`)
imports this package without wanting pandas or the charts.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.report.charts import beeswarm_rows
    from analyzer.report.context import DatasetSummary, GroupStats, ModelPerformance, ReportContext
    from analyzer.report.document import Report, build_report
    from analyzer.report.summary import build_context, config_summary, summarize_dataset
    from analyzer.report.verdict import Verdict, assess, render_text
    from analyzer.report.writer import DEFAULT_NAME, DEFAULT_TITLE, ReportError, report_basename, write_reports

_SOURCES = {
    "analyzer.report.charts": ("beeswarm_rows",),
    "analyzer.report.context": ("DatasetSummary", "GroupStats", "ModelPerformance", "ReportContext"),
    "analyzer.report.document": ("Report", "build_report"),
    "analyzer.report.summary": ("build_context", "config_summary", "summarize_dataset"),
    "analyzer.report.verdict": ("Verdict", "assess", "render_text"),
    "analyzer.report.writer": ("DEFAULT_NAME", "DEFAULT_TITLE", "ReportError", "report_basename", "write_reports"),
}
_WHERE = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "DEFAULT_NAME",
    "DEFAULT_TITLE",
    "DatasetSummary",
    "GroupStats",
    "ModelPerformance",
    "Report",
    "ReportError",
    "ReportContext",
    "Verdict",
    "assess",
    "beeswarm_rows",
    "build_context",
    "build_report",
    "config_summary",
    "render_text",
    "report_basename",
    "summarize_dataset",
    "write_reports",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value   # once: later lookups are plain attribute reads
    return value
