"""What the bias stage hands on: the analysis.json section and the group statistics behind it.

One :class:`BiasResult` per stage (pre- or post-training). The report, the summary of concern and
the console verdict read only these values, so they show exactly the groups and numbers of
analysis.json without touching the dataset again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from analyzer.bias.registry import Stage
from analyzer.output import json_number

#: The analysis.json key of each stage's section.
SECTION_KEYS: dict[str, str] = {"pre_training": "pre_training_bias_metrics",
                                 "post_training": "post_training_bias_metrics"}


@dataclass(frozen=True)
class GroupStats:
    """One facet value (d, e.g. ``Sex = Female``) against every other row (a).

    Rates are fractions of the group's own rows; ``confusion`` is (TP, FP, FN, TN) as fractions of
    the group's rows (post-training only).
    """

    facet: str
    group: str                                  # value_or_threshold as analysis.json writes it
    rows: int
    proportion: float                           # rows / all rows
    positive_label_rate: float | None           # observed labels that are positive, in d
    confusion: tuple[float, float, float, float] | None = None
    rest_rows: int | None = None                # rows of a
    rest_positive_label_rate: float | None = None
    positive_prediction_rate: float | None = None       # d, post-training only
    rest_positive_prediction_rate: float | None = None  # a, post-training only
    rest_confusion: tuple[float, float, float, float] | None = None

    @property
    def accuracy(self) -> float | None:
        return None if self.confusion is None or not self.rows else self.confusion[0] + self.confusion[3]

    @property
    def rest_accuracy(self) -> float | None:
        c = self.rest_confusion
        return None if c is None or not self.rest_rows else c[0] + c[3]


@dataclass(frozen=True)
class ModelPerformance:
    """Model performance over all rows (smclarify's model_performance_report, binary)."""

    metrics: tuple[tuple[str, float], ...]      # (name, value), Clarify's 10 names
    confusion: tuple[float, float, float, float]  # TP, FP, FN, TN fractions over all rows

    def value(self, name: str) -> float | None:
        return dict(self.metrics).get(name)


@dataclass(frozen=True)
class BiasResult:
    """One bias stage: the section written to analysis.json and the statistics of the same groups."""

    stage: Stage
    section: dict[str, Any]                     # Clarify's section shape and key order
    label: str
    positive_label: str                         # what counts as positive, as text ("1", "(0.5, 1]")
    rows: int
    label_distribution: tuple[tuple[str, int], ...] = ()   # (label value, rows), most frequent first
    groups: tuple[GroupStats, ...] = ()
    performance: ModelPerformance | None = None  # post-training only
    warnings: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return SECTION_KEYS[self.stage]


def json_value(value: float) -> float | str | None:
    """A metric value as analysis.json writes it (:func:`analyzer.output.json_number`: ±inf as
    Clarify's "Infinity" strings); NaN stays a float in memory, as smclarify returns it."""
    value = float(value)
    return value if math.isnan(value) else json_number(value)
