"""The bias stage: run the selected metrics on every facet value and shape Clarify's section.

:func:`run_bias` returns a :class:`~analyzer.bias.result.BiasResult`: the ``*_bias_metrics``
section of analysis.json together with the group statistics and model performance of the very
same groups, so nothing downstream needs the dataset again.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd

# Importing the metric modules registers the metrics.
from analyzer.bias import posttraining as _post  # noqa: F401
from analyzer.bias import pretraining as _pre  # noqa: F401
from analyzer.bias import registry
from analyzer.bias.flip import encoded_features
from analyzer.bias.groups import Features, Groups
from analyzer.bias.result import BiasResult, Stage, json_value
from analyzer.bias.selection import FacetSpec, Notes, facet_entries, resolve
from analyzer.bias.stats import group_stats, performance

logger = logging.getLogger("analyzer.bias")

NON_NUMERIC_FEATURES = "FlipTest does not support non-numeric columns"
MAX_LABEL_VALUES = 10   # rows of the label distribution a report shows


def _features(frame: pd.DataFrame, drop: Sequence[str], encoding: str | None = None) -> Features:
    """FlipTest features: every column but the facet, label, prediction and exclusions.

    Non-numeric columns are Clarify's error unless ``encoding`` (extension ``ft_encoding``) is set.
    """
    df = frame.drop(columns=[c for c in dict.fromkeys(drop) if c in frame.columns])
    if len(df.columns) != len(df.select_dtypes([np.number, bool]).columns):
        if encoding is None:
            return Features(None, NON_NUMERIC_FEATURES)
        try:
            return Features(encoded_features(df, encoding))
        except ValueError as exc:    # too large to encode: FT reports it, the other metrics go on
            return Features(None, str(exc))
    return Features(df.to_numpy())


def _run(metrics: list[registry.Metric], groups: Groups) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in metrics:
        try:
            value = m.function(groups)
        except registry.MetricUndefined as exc:
            logger.info("%s could not be computed: %s", m.name, exc)
            out.append({"name": m.name, "description": m.description, "value": None, "error": str(exc)})
            continue
        out.append({"name": m.name, "description": m.description, "value": json_value(value)})
    return out


def _label_distribution(series: pd.Series, weights: np.ndarray | None) -> tuple[tuple[str, int], ...]:
    if weights is None:
        counts = series.value_counts(dropna=False)
    else:
        counts = pd.Series(weights).groupby(series.to_numpy(), dropna=False, sort=False).sum()
        counts = counts.sort_values(ascending=False, kind="stable")
    return tuple((str(k), int(v)) for k, v in counts.iloc[:MAX_LABEL_VALUES].items())


def run_bias(
    frame: pd.DataFrame,
    *,
    stage: Stage,
    label: str,
    label_values: Sequence,
    facets: Sequence[FacetSpec],
    predicted_label: str | None = None,
    group_variable: str | None = None,
    methods: str | Sequence[str] = "all",
    label_data_type: Literal["categorical", "continuous"] | None = None,
    ft_exclude: Sequence[str] = (),
    ft_encoding: str | None = None,
    weights: np.ndarray | None = None,
    ft_rows: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> BiasResult:
    """One bias stage on ``frame``; see :func:`bias_section` for the parameters and errors.

    The result's ``section`` is exactly Clarify's section; ``groups`` has one
    :class:`~analyzer.bias.result.GroupStats` per entry of the section, in the same order.

    With ``weights`` (the chunked path, :mod:`analyzer.bias.counts`) each row of ``frame`` stands for
    that many rows of the data; FlipTest then reads its features from ``ft_rows``: (the data rows'
    feature frame, the ``frame`` row of each data row).
    """
    warnings: list[str] = []
    notes = Notes(warnings, weights)
    metrics = registry.select(stage, methods)
    resolved, kinds = resolve(
        frame, stage=stage, label=label, label_values=label_values, facets=facets,
        predicted_label=predicted_label, group_variable=group_variable,
        label_data_type=label_data_type, notes=notes,
    )
    need_features = stage == "post_training" and any(m.name == "FT" for m in metrics)
    section: dict[str, Any] = {"label": label, "facets": {}}
    stats = []
    for spec, kind in zip(facets, kinds, strict=True):
        features = None
        if need_features:
            extra = [predicted_label] if predicted_label else []
            source = frame if ft_rows is None else ft_rows[0]
            features = _features(source, [spec.name, label, *extra, *ft_exclude], ft_encoding)
            if ft_rows is not None:
                features = replace(features, rows=ft_rows[1])
        entries = []
        for text, groups in facet_entries(frame, resolved, spec, kind, features, notes):
            entries.append({"value_or_threshold": text, "metrics": _run(metrics, groups)})
            stats.append(group_stats(spec.name, text, groups))
        section["facets"][spec.name] = entries
    section["label_value_or_threshold"] = resolved.label.text
    positive = resolved.label.text or f"none (the threshold {list(label_values)[0]} selects no rows)"
    return BiasResult(
        stage=stage, section=section, label=label, positive_label=positive,
        rows=len(frame) if weights is None else int(weights.sum()),
        label_distribution=_label_distribution(frame[label], weights), groups=tuple(stats),
        performance=performance(resolved) if resolved.pred is not None else None,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def bias_section(frame: pd.DataFrame, *, warnings: list[str] | None = None, **kwargs: Any) -> dict:
    """Return {"label": label, "facets": {facet_name: [ {"value_or_threshold": str, "metrics": [...]}, ...]},
    "label_value_or_threshold": str} — exactly Clarify's analysis.json section shape and key order.

    Parameters (keyword-only, as :func:`run_bias`)
    ----------
    frame : the dataset; label, predicted label, facet and group columns are looked up by name.
    stage : "pre_training" (8 metrics) or "post_training" (13 metrics).
    label, label_values : label column and its positive values (or single threshold).
    facets : the facets, each reported under its name in the given order.
    predicted_label : predicted-label column (required for post-training); its positive
        values are ``label_values``.
    group_variable : column for CDDL / CDDPL; without it they report an error.
    methods : "all" or metric names of ``stage``; unknown names raise ConfigError.
    label_data_type : force the label (and prediction) kind instead of Clarify's inference.
    ft_exclude : further columns FlipTest must not use as features.
    ft_encoding : extension: "one_hot" or "ordinal" lets FT encode non-numeric columns.
    warnings : if given, user-facing warnings (also logged) are appended to it.

    Raises
    ------
    ConfigError : bad methods, no label values, post-training without a prediction column.
    DataError : a named column is missing (the message lists the available columns).
    AnalysisError : the whole section cannot be computed (Clarify's messages), e.g. no
        positive predicted label, prediction/label kind mismatch, bad threshold.
    """
    result = run_bias(frame, **kwargs)
    if warnings is not None:
        warnings.extend(result.warnings)
    return result.section
