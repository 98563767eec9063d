"""What a report shows besides analysis.json: run facts, a dataset summary, optional local SHAP values.

Everything here is already computed and small (counts and fractions, never data rows), except the
optional local SHAP frame, which the charts reduce to a fixed number of points per feature. The
group statistics are the bias stage's own (:mod:`analyzer.bias.result`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analyzer import __version__
from analyzer.bias import GroupStats, ModelPerformance

__all__ = ["DIAGNOSTICS_KEY", "DatasetSummary", "GroupStats", "ModelPerformance", "ReportContext"]

#: Our extension inside each ``kernel_shap`` label block (analyzer.explain.report writes it; importing
#: that package would load scikit-learn, so the report names the key here).
DIAGNOSTICS_KEY = "analyzer_diagnostics"


@dataclass(frozen=True)
class DatasetSummary:
    rows: int
    features: int
    label: str | None
    positive_label: str | None                  # what counts as positive, as text ("1", "> 0.5")
    label_distribution: tuple[tuple[str, int], ...] = ()   # (label value, rows), most frequent first
    groups: tuple[GroupStats, ...] = ()
    performance: ModelPerformance | None = None


@dataclass(frozen=True, eq=False)
class ReportContext:
    """The facts about a run that a report needs beyond the analysis document.

    ``config_summary`` is the effective config in brief, as (key, text) lines. ``local_shap`` is a
    frame shaped like ``explanations_shap/out.csv`` (one column per feature, or ``label__feature``
    for several outputs); ``local_features`` optionally holds the matching feature values, used only
    to colour the local summary chart. A dataset read in chunks keeps only the rows that chart draws:
    then ``local_rows`` is the dataset's row count and ``local_importance`` every row's mean |SHAP| per
    ``local_shap`` column (:mod:`analyzer.stages.local_sample`).
    """

    generated: str = ""                          # date/time text shown under the title
    tool_version: str = __version__
    config_summary: tuple[tuple[str, str], ...] = ()
    dataset: DatasetSummary | None = None
    local_shap: pd.DataFrame | None = None
    local_features: pd.DataFrame | None = None
    local_rows: int | None = None
    local_importance: pd.Series | None = None
    shap_warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())   # anything else a reader should know about the run
    bias_warnings: tuple[str, ...] = ()          # the bias stages' warnings (e.g. a surprising type inference)
    checks: tuple | None = None                   # analyzer.monitor Outcomes when checks ran (report.checks)
    time_series: dict | None = None               # time-series explanations' lines (report.time_series)
    images: tuple[tuple[str, bytes], ...] = ()    # image explanations: (output file name, JPEG) per heat map
