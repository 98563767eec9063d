"""Bias metrics: Clarify's pre- and post-training metrics, computed with numpy.

Public entry point: :func:`bias_section` builds one ``*_bias_metrics`` section of
``analysis.json``. Metrics are pure functions of a :class:`Groups` and are listed in
:mod:`analyzer.bias.registry`; :mod:`analyzer.bias.stats` has the report-only statistics.
"""
from analyzer.bias.groups import Confusion, Features, Groups, divide
from analyzer.bias.registry import Metric, MetricUndefined, Stage, names, select
from analyzer.bias.report import FacetSpec, bias_section

__all__ = [
    "Confusion",
    "FacetSpec",
    "Features",
    "Groups",
    "Metric",
    "MetricUndefined",
    "Stage",
    "bias_section",
    "divide",
    "names",
    "select",
]
