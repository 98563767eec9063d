"""From a data frame and column names to boolean masks: which rows are positive, predicted positive, d.

Validates the configuration against the frame in Clarify's order, applies Clarify's
categorical/continuous inference (and says so when it changes what a configured value means),
and builds one :class:`~analyzer.bias.groups.Groups` per facet value. The metric runner
(:mod:`analyzer.bias.section`) and the report statistics (:mod:`analyzer.bias.stats`) both read
these groups, so they describe exactly the same rows.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analyzer.bias.columns import (
    CategoricalColumn,
    Kind,
    SelectionError,
    infer_kind,
    numeric_threshold,
    threshold_interval,
    to_numeric,
)
from analyzer.bias.groups import Features, Groups
from analyzer.errors import AnalysisError, ConfigError, DataError

logger = logging.getLogger("analyzer.bias")

NO_PREDICTED_POSITIVES = (
    "No Label values are present in the predicted Label Column,"
    "Positive Predicted Index Series contains all False values"
)
KIND_MISMATCH = "Predicted Label Column series datatype is not the same as Label Column series"


@dataclass(frozen=True)
class FacetSpec:
    """One configured facet.

    name : column name in the frame.
    values : ``value_or_threshold`` from the config; None or () means one-vs-rest per value.
    data_type : our extension; force "categorical" or "continuous" instead of Clarify's
        inference (None).
    """

    name: str
    values: tuple | None = None
    data_type: Literal["categorical", "continuous"] | None = None


@dataclass(frozen=True)
class Selection:
    """Rows a configuration selects, and how the report writes it."""

    mask: np.ndarray
    text: str
    kind: Kind
    numeric: np.ndarray | None = None  # the column as numbers (continuous only)


class Notes:
    """Per-section context: collects user-facing warnings (logged, and appended to the
    caller's list if given) and caches one factorisation per column, which serves both the
    type inference (uniqueness) and the categorical selection."""

    def __init__(self, sink: list[str] | None, weights: np.ndarray | None = None) -> None:
        self.sink = sink
        self.weights = weights  # rows of the data each frame row stands for (chunked path), or None
        self.columns: dict[str, CategoricalColumn] = {}

    def factorised(self, series: pd.Series, name: str) -> CategoricalColumn:
        column = self.columns.get(name)
        if column is None:
            column = self.columns[name] = CategoricalColumn(series, name, self.weights)
        return column

    def count(self, mask: np.ndarray) -> int:
        """Rows of the data that ``mask`` selects."""
        return int(np.count_nonzero(mask) if self.weights is None else self.weights[mask].sum())

    def warn(self, message: str) -> None:
        logger.warning(message)
        if self.sink is not None:
            self.sink.append(message)


def _require_column(frame: pd.DataFrame, column: str, role: str) -> pd.Series:
    if column not in frame.columns:
        raise DataError(
            f"{role} column {column!r} is not present in the dataset; "
            f"available columns: {[str(c) for c in frame.columns]}"
        )
    return frame[column]


def _explain_kind(series: pd.Series, name: str, role: str, kind: Kind, forced: bool,
                  values: Sequence[Any], sel: Selection, hint: str, notes: Notes) -> None:
    """Warn when Clarify's type inference gives a configured value a surprising meaning."""
    if forced or not values:
        return
    if kind == "continuous":
        numeric_dtype = pd.api.types.is_float_dtype(series.dtype)
        n = notes.count(sel.mask)
        if numeric_dtype and n > 0:
            logger.info("%s column %r: threshold %r selects the interval %s (%d rows)",
                        role, name, values[0], sel.text, n)
            return
        notes.warn(
            f"{role} column {name!r} is classified as CONTINUOUS (Clarify's rule: numeric data "
            f"with at least 5% distinct values, or float), so the value {values[0]!r} is a "
            f"threshold: it selects {name} > {values[0]}, the interval "
            f"{sel.text or '(empty)'!s}, {n} rows. To select rows equal to {values[0]!r} "
            f"instead, give {hint}."
        )
    elif len(values) == 1 and pd.api.types.is_integer_dtype(series.dtype):
        logger.info(
            "%s column %r is classified as CATEGORICAL (under 5%% distinct values), so %r "
            "selects rows equal to it, not above it; give %s for a threshold",
            role, name, values[0], hint.replace("categorical", "continuous"),
        )


def _select(series: pd.Series, name: str, values: Sequence[Any], kind: Kind,
            notes: Notes) -> Selection:
    """Mask of the rows equal to ``values`` (categorical) or above the threshold (continuous)."""
    if kind == "continuous":
        threshold = numeric_threshold(values)
        x = to_numeric(series)
        interval = threshold_interval(threshold, pd.Series(x).max())
        return Selection(interval.mask(x), interval.text, kind, x)

    def converted(before: list, after: list) -> None:
        notes.warn(f"Column {name!r} has no value equal to {before}; converted them to the "
                   f"column's type and matched {after} instead")

    column = notes.factorised(series, name)
    return Selection(column.mask(values, converted), ",".join(map(str, values)), kind)


def _kind(series: pd.Series, name: str, values: Sequence[Any] | None, forced: Kind | None,
          notes: Notes) -> Kind:
    if forced is not None:
        if forced not in ("categorical", "continuous"):
            raise ConfigError(f"data_type of {name!r} must be 'categorical' or 'continuous', got {forced!r}")
        if forced == "continuous" and values is not None and len(values) > 1:
            raise ConfigError(f"Column {name!r} is forced continuous but has {len(values)} values; "
                              "a continuous column takes a single threshold")
        return forced
    frac = None
    if notes.weights is not None or not pd.api.types.is_float_dtype(series.dtype):  # reused for selection
        frac = notes.factorised(series, name).uniqueness
    return infer_kind(series, list(values) if values is not None else None, name=name, frac=frac)


def _label_selection(frame: pd.DataFrame, label: str, values: list, forced: Kind | None,
                     notes: Notes) -> Selection:
    series = _require_column(frame, label, "Label")
    kind = _kind(series, label, values, forced, notes)
    try:
        sel = _select(series, label, values, kind, notes)
    except (SelectionError, ValueError) as exc:
        raise AnalysisError(str(exc)) from exc
    _explain_kind(series, label, "Label", kind, forced is not None, values, sel,
                  '"label_data_type": "categorical" at the top level of the analysis config', notes)
    return sel


def _prediction_mask(frame: pd.DataFrame, predicted: str, values: list, label_sel: Selection,
                     forced: Kind | None, notes: Notes) -> np.ndarray:
    series = _require_column(frame, predicted, "Predicted label")
    kind = _kind(series, predicted, values, forced, notes)
    if kind != label_sel.kind:
        raise AnalysisError(KIND_MISMATCH)
    try:
        if kind == "continuous":
            # Clarify casts the predictions to the label's dtype and takes max over both.
            label_x = label_sel.numeric
            x = to_numeric(series)
            if np.issubdtype(label_x.dtype, np.integer) and np.isnan(np.asarray(x, dtype=float)).any():  # type: ignore[union-attr]
                raise AnalysisError(f"Predicted label column '{predicted}' has missing values, which cannot be cast "
                                    "to the label's integer type as Clarify casts predictions; fill or drop them.")
            x = x.astype(label_x.dtype)  # type: ignore[union-attr]  # continuous: numeric is set
            both = pd.Series(np.concatenate([label_x, x]))
            mask = threshold_interval(numeric_threshold(values), both.max()).mask(x)
        else:
            mask = _select(series, predicted, values, kind, notes).mask
    except (SelectionError, ValueError) as exc:
        raise AnalysisError(str(exc)) from exc
    if not mask.any():
        raise AnalysisError(NO_PREDICTED_POSITIVES)
    return mask


def _group_codes(frame: pd.DataFrame, group_variable: str | None) -> tuple[np.ndarray | None, int]:
    if group_variable is None:
        return None, 0
    series = _require_column(frame, group_variable, "Group variable")
    try:
        codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    except TypeError:  # values of mixed, unorderable types: order only affects rounding
        codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
    return codes, len(uniques)


@dataclass(frozen=True)
class Resolved:
    """The label/prediction/group columns resolved once for a report."""

    label: Selection
    pred: np.ndarray | None
    group_codes: np.ndarray | None
    n_group_codes: int
    weights: np.ndarray | None = None   # see Notes.weights


def resolve(
    frame: pd.DataFrame,
    *,
    stage: Literal["pre_training", "post_training"],
    label: str,
    label_values: Sequence,
    facets: Sequence[FacetSpec],
    predicted_label: str | None = None,
    group_variable: str | None = None,
    label_data_type: Literal["categorical", "continuous"] | None = None,
    notes: Notes | None = None,
) -> tuple[Resolved, list[Kind]]:
    """Validate the configuration against the frame, in Clarify's order, and build the masks.

    Returns the resolved label/prediction/group data and each facet's kind. With ``notes`` that carry
    weights (the chunked path), each row of ``frame`` stands for that many rows of the data.
    """
    notes = notes or Notes(None)
    values = list(label_values) if label_values is not None else []
    if not values:
        raise ConfigError("Positive label values or thresholds are empty for Label column")
    post = stage == "post_training"
    if post and predicted_label is None:
        raise ConfigError("predicted_label_column has to be provided for Post training metrics")
    facet_kinds = []
    for spec in facets:
        series = _require_column(frame, spec.name, "Facet")
        kind = _kind(series, spec.name, spec.values, spec.data_type, notes)
        if kind == "continuous" and spec.values:
            try:
                numeric_threshold(list(spec.values))
            except SelectionError as exc:
                raise AnalysisError(str(exc)) from exc
        facet_kinds.append(kind)
    label_sel = _label_selection(frame, label, values, label_data_type, notes)
    pred_mask = None
    if post:
        pred_mask = _prediction_mask(frame, predicted_label, values, label_sel,  # type: ignore[arg-type]
                                     label_data_type, notes)
    codes, n_codes = _group_codes(frame, group_variable)
    return Resolved(label_sel, pred_mask, codes, n_codes, notes.weights), facet_kinds


def facet_entries(frame: pd.DataFrame, resolved: Resolved, spec: FacetSpec, kind: Kind,
                  features: Features | None = None, notes: Notes | None = None) -> list[tuple[str, Groups]]:
    """(value_or_threshold, Groups) for each report entry of one facet."""
    notes = notes or Notes(None)
    return [
        (text, Groups.build(mask, resolved.label.mask, resolved.pred, resolved.group_codes,
                            resolved.n_group_codes, features, resolved.weights))
        for text, mask in _facet_groups(frame[spec.name], spec, kind, notes)
    ]


def _facet_groups(series: pd.Series, spec: FacetSpec, kind: Kind, notes: Notes) -> list[tuple[str, np.ndarray]]:
    """(value_or_threshold text, d mask) for each report entry of one facet."""
    values = list(spec.values) if spec.values else []
    try:
        if kind == "continuous":
            if not values:
                raise SelectionError("Threshold values must be provided for continuous features")
            sel = _select(series, spec.name, values, kind, notes)
            _explain_kind(series, spec.name, "Facet", kind, spec.data_type is not None, values, sel,
                          '"data_type": "categorical" in the facet entry', notes)
            return [(sel.text, sel.mask)]
        if values:
            sel = _select(series, spec.name, values, kind, notes)
            _explain_kind(series, spec.name, "Facet", kind, spec.data_type is not None, values, sel,
                          '"data_type": "continuous" in the facet entry', notes)
            return [(sel.text, sel.mask)]
        column = notes.factorised(series, spec.name)
        return [(str(v), column.mask([v])) for v in column.distinct_values()]
    except (SelectionError, ValueError) as exc:
        raise AnalysisError(str(exc)) from exc
