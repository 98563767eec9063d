"""The report context from a config and a loaded dataset: effective config in brief, dataset summary.

Only counts and fractions leave this module. The rules for "positive label" and facet groups
follow Clarify's in simple form (values select equal rows; one numeric value on a numeric column
with many distinct values is an exclusive lower bound); the exact metric values are in
analysis.json, this summary only describes the data to a reader.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analyzer.config.model import AnalysisConfig
from analyzer.data import Dataset
from analyzer.report.context import DatasetSummary, GroupStats, ModelPerformance, ReportContext

UNIQUENESS_THRESHOLD = 0.05   # smclarify: numeric columns with this share of distinct values are continuous
MAX_GROUPS = 10               # facets without values: the most frequent values only
MAX_LABELS = 10


def _is_threshold(series: pd.Series, values: Sequence[Any] | None, data_type: str | None) -> bool:
    """True when ``values`` is one numeric threshold on a continuous column."""
    if not values or len(values) != 1 or isinstance(values[0], (bool, str)):
        return False
    if data_type is not None:
        return data_type == "continuous"
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_float_dtype(series.dtype):
        return True
    count = series.count()
    return count > 0 and series.nunique() / count >= UNIQUENESS_THRESHOLD


def _matches(series: pd.Series, values: Sequence[Any]) -> np.ndarray:
    """Rows equal to any value, comparing as text too so "1" in a config matches 1 in the data."""
    as_text = series.astype(str)
    return (series.isin(list(values)) | as_text.isin([str(v) for v in values])).to_numpy()


def positive_mask(series: pd.Series, values: Sequence[Any] | None, data_type: str | None = None) -> np.ndarray | None:
    """Which rows hold a positive label (None when no positive values are configured)."""
    if not values:
        return None
    if _is_threshold(series, values, data_type):
        return (pd.to_numeric(series, errors="coerce") > float(values[0])).to_numpy()
    return _matches(series, values)


def _positive_text(series: pd.Series, values: Sequence[Any] | None, data_type: str | None) -> str | None:
    if not values:
        return None
    if _is_threshold(series, values, data_type):
        return f"> {values[0]}"
    return ", ".join(map(str, values))


def facet_groups(series: pd.Series, values: Sequence[Any] | None,
                 data_type: str | None = None) -> list[tuple[str, np.ndarray]]:
    """(readable group name, row mask) for each facet group the bias metrics look at."""
    if values:
        if _is_threshold(series, values, data_type):
            return [(f"> {values[0]}", (pd.to_numeric(series, errors="coerce") > float(values[0])).to_numpy())]
        return [(", ".join(map(str, values)), _matches(series, values))]
    counts = series.value_counts(dropna=True)
    return [(str(value), (series == value).to_numpy()) for value in counts.index[:MAX_GROUPS]]


def _fractions(label: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float, float]:
    n = len(label)
    if n == 0:
        return (0.0, 0.0, 0.0, 0.0)
    tp = np.sum(label & predicted)
    fp = np.sum(~label & predicted)
    fn = np.sum(label & ~predicted)
    tn = np.sum(~label & ~predicted)
    return (float(tp / n), float(fp / n), float(fn / n), float(tn / n))


def _div(a: float, b: float) -> float:
    return float(a / b) if b else 0.0   # smclarify's `divide`: 0/0 = 0 for these report numbers


def model_performance(label: np.ndarray, predicted: np.ndarray) -> ModelPerformance:
    """Clarify's ten binary model-performance numbers and the [TP, FP, FN, TN] fractions."""
    tp, fp, fn, tn = (float(np.sum(m)) for m in (label & predicted, ~label & predicted,
                                                  label & ~predicted, ~label & ~predicted))
    n = tp + fp + fn + tn
    recall, precision = _div(tp, tp + fn), _div(tp, tp + fp)
    metrics = (
        ("Accuracy", _div(tp + tn, n)),
        ("Proportion of Positive Predictions in Labels", _div(tp + fp, n)),
        ("Proportion of Negative Predictions in Labels", _div(tn + fn, n)),
        ("True Positive Rate / Recall", recall),
        ("True Negative Rate / Specificity", _div(tn, tn + fp)),
        ("Acceptance Rate / Precision", precision),
        ("Rejection Rate", _div(tn, tn + fn)),
        ("Conditional Acceptance", _div(tp + fn, tp + fp)),
        ("Conditional Rejection", _div(tn + fp, tn + fn)),
        ("F1 Score", _div(2 * precision * recall, precision + recall)),
    )
    return ModelPerformance(metrics=metrics, confusion=_fractions(label, predicted))


def summarize_dataset(config: AnalysisConfig, dataset: Dataset,
                      predicted_labels: pd.Series | None = None) -> DatasetSummary:
    """Rows, label distribution, and per facet group: share of rows, positive-label rate and,
    with predictions, the confusion fractions; model performance over all rows."""
    frame = dataset.frame
    label_values = list(config.label_values_or_threshold or ())
    label_series = frame[dataset.label] if dataset.label else None
    positives = positive_mask(label_series, label_values, config.label_data_type) if label_series is not None else None
    predicted = None
    if positives is not None and predicted_labels is not None:
        predicted = positive_mask(predicted_labels, label_values, config.label_data_type)
    distribution: tuple[tuple[str, int], ...] = ()
    if label_series is not None:
        counts = label_series.value_counts(dropna=False)
        distribution = tuple((str(k), int(v)) for k, v in counts.iloc[:MAX_LABELS].items())
    groups = []
    rows = len(frame)
    for name, facet in zip(dataset.facets, config.facet):
        series = frame[name]
        for group, mask in facet_groups(series, facet.value_or_threshold, facet.data_type):
            count = int(mask.sum())
            rate = float(positives[mask].mean()) if positives is not None and count else None
            confusion = _fractions(positives[mask], predicted[mask]) if predicted is not None else None
            groups.append(GroupStats(facet=name, group=group, rows=count, proportion=_div(count, rows),
                                     positive_label_rate=rate, confusion=confusion))
    return DatasetSummary(
        rows=rows, features=len(dataset.features), label=dataset.label,
        positive_label=_positive_text(label_series, label_values, config.label_data_type)
        if label_series is not None else None,
        label_distribution=distribution, groups=tuple(groups),
        performance=model_performance(positives, predicted) if predicted is not None else None,
    )


def _brief(value: Any, limit: int = 120) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def config_summary(config: AnalysisConfig) -> tuple[tuple[str, str], ...]:
    """The effective config in brief: what was analysed and how, one line per key that is set."""
    lines: list[tuple[str, str]] = [("dataset_type", config.dataset_type)]
    if config.label is not None:
        lines.append(("label", _brief(config.label)))
    if config.label_values_or_threshold:
        lines.append(("label_values_or_threshold", _brief(config.label_values_or_threshold)))
    for i, facet in enumerate(config.facet):
        values = _brief(facet.value_or_threshold) if facet.value_or_threshold else "every value"
        lines.append((f"facet[{i}]", f"{facet.name_or_index} ({values})"))
    if config.group_variable is not None:
        lines.append(("group_variable", _brief(config.group_variable)))
    if config.predicted_label is not None:
        lines.append(("predicted_label", _brief(config.predicted_label)))
    methods = config.methods
    if methods.pre_training_bias is not None:
        lines.append(("pre_training_bias", _brief(methods.pre_training_bias)))
    if methods.post_training_bias is not None:
        lines.append(("post_training_bias", _brief(methods.post_training_bias)))
        lines.append(("probability_threshold", str(config.probability_threshold)))
    if methods.shap is not None:
        shap = methods.shap
        lines.append(("shap", f"num_samples={shap.num_samples}, agg_method={shap.agg_method}, "
                              f"use_logit={shap.use_logit}, save_local_shap_values={shap.save_local_shap_values}"))
    if methods.pdp is not None:
        pdp = methods.pdp
        features = _brief(pdp.features) if pdp.features else f"top {pdp.top_k_features} by SHAP"
        lines.append(("pdp", f"grid_resolution={pdp.grid_resolution}, features: {features}"))
    predictor = config.predictor
    if predictor is not None:
        target = (predictor.endpoint_name or predictor.model_name or predictor.endpoint_url
                  or predictor.image_uri or "")
        lines.append(("predictor", _brief(target) or "configured"))
    return tuple(lines)


def build_context(config: AnalysisConfig, dataset: Dataset | None = None, *,
                  predicted_labels: pd.Series | None = None, local_shap: pd.DataFrame | None = None,
                  local_features: pd.DataFrame | None = None, shap_warnings: Sequence[str] = (),
                  generated: str | None = None) -> ReportContext:
    """Everything :func:`analyzer.report.write_reports` needs besides the analysis document."""
    if generated is None:
        generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ReportContext(
        generated=generated,
        config_summary=config_summary(config),
        dataset=summarize_dataset(config, dataset, predicted_labels) if dataset is not None else None,
        local_shap=local_shap,
        local_features=local_features,
        shap_warnings=tuple(shap_warnings),
    )
