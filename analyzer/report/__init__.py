"""Reports people read: ``<name>.ipynb``, ``<name>.html`` and ``<name>.pdf`` from the analysis result.

One report model (:func:`build_report`) is built from the analysis.json document and a small
:class:`ReportContext` (run facts, the bias stages' group statistics, optional local SHAP values,
warnings), itself built from the job's results only (:func:`build_context`); three renderers lay it
out. :mod:`analyzer.report.verdict` judges the result once for the report's summary of concern and
the console. Charts are pure functions of the result.
"""
from analyzer.report.context import DatasetSummary, GroupStats, ModelPerformance, ReportContext
from analyzer.report.document import Report, build_report
from analyzer.report.summary import build_context, config_summary, summarize_dataset
from analyzer.report.verdict import Verdict, assess, render_text
from analyzer.report.writer import DEFAULT_NAME, DEFAULT_TITLE, ReportError, report_basename, write_reports

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
    "build_context",
    "build_report",
    "config_summary",
    "render_text",
    "report_basename",
    "summarize_dataset",
    "write_reports",
]
