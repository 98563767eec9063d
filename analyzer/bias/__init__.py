"""Bias metrics: Clarify's pre- and post-training metrics, computed with numpy.

Public entry points: :func:`run_bias` runs one stage and returns a :class:`BiasResult` (the
``*_bias_metrics`` section of ``analysis.json`` plus the statistics of the same groups);
:func:`bias_section` returns the section alone. :mod:`analyzer.bias.selection` turns columns into
masks, metrics are pure functions of a :class:`Groups` listed in :mod:`analyzer.bias.registry`,
:mod:`analyzer.bias.stats` has the report-only statistics and :mod:`analyzer.bias.bands` the
neutral values and concern bands. :mod:`analyzer.bias.counts` reduces data read in chunks to counted
distinct rows, which :func:`run_bias` takes with ``weights``.
"""
from analyzer.bias.bands import (
    DATASET_WIDE,
    DEFAULT_BANDS,
    RATIO_METRICS,
    Band,
    distance_from_neutral,
    neutral,
    outside_band,
)
from analyzer.bias.counts import ColumnValues, CountsPart, DistinctRows, TooManyDistinct, count_part
from analyzer.bias.groups import Confusion, Features, Groups, divide
from analyzer.bias.registry import Metric, MetricUndefined, Stage, names, select
from analyzer.bias.result import SECTION_KEYS, BiasResult, GroupStats, ModelPerformance
from analyzer.bias.section import bias_section, run_bias
from analyzer.bias.selection import FacetSpec

__all__ = [
    "DATASET_WIDE",
    "DEFAULT_BANDS",
    "DistinctRows",
    "RATIO_METRICS",
    "SECTION_KEYS",
    "Band",
    "BiasResult",
    "ColumnValues",
    "CountsPart",
    "Confusion",
    "FacetSpec",
    "Features",
    "GroupStats",
    "Groups",
    "Metric",
    "MetricUndefined",
    "ModelPerformance",
    "Stage",
    "TooManyDistinct",
    "bias_section",
    "count_part",
    "distance_from_neutral",
    "divide",
    "names",
    "neutral",
    "outside_band",
    "run_bias",
    "select",
]
