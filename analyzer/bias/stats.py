"""Report-only statistics: basic stats per facet value and the model performance report.

They feed the human-readable report and the verdict, not ``analysis.json``. Names, descriptions
and formulas are smclarify 0.5's (``bias_basic_stats`` and ``model_performance_report``).
:func:`group_stats` and :func:`performance` read the same :class:`Groups` as the metrics.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from analyzer.bias.groups import Confusion, Groups, divide
from analyzer.bias.result import GroupStats, ModelPerformance, json_value
from analyzer.bias.selection import FacetSpec, Resolved, facet_entries, resolve

logger = logging.getLogger("analyzer.bias")

PROPORTION = "Proportion of examples in sensitive facet."
LABEL_DISTRIBUTION = "Distribution of observed label outcomes for sensitive facet"
CONFUSION = "Fractions of TP, FP, FN, TN."


def fractions(c: Confusion) -> list[float]:
    """[TP, FP, FN, TN] / n (all 0.0 for an empty group)."""
    return [divide(c.TP, c.n), divide(c.FP, c.n), divide(c.FN, c.n), divide(c.TN, c.n)]


def facet_stats(g: Groups) -> list[dict[str, Any]]:
    """proportion = n_d / n; observed_label_distribution = [q_d, 1 - q_d];
    confusion_matrix (post-training only) = fractions [TP, FP, FN, TN] within d."""
    q_d = divide(g.label_counts(1)[1], g.n_d)
    out: list[dict[str, Any]] = [
        {"name": "proportion", "description": PROPORTION, "value": g.n_d / g.n},
        {"name": "observed_label_distribution", "description": LABEL_DISTRIBUTION, "value": [q_d, 1 - q_d]},
    ]
    if g.pred is not None:
        out.append({"name": "confusion_matrix", "description": CONFUSION, "value": fractions(g.confusion(1))})
    return out


def _rate(count: int, rows: int) -> float | None:
    return count / rows if rows else None


def group_stats(facet: str, text: str, g: Groups) -> GroupStats:
    """Rows, positive-label and positive-prediction rates of d and a, and their confusion fractions."""
    post = g.pred is not None
    return GroupStats(
        facet=facet, group=text, rows=g.n_d, proportion=g.n_d / g.n if g.n else 0.0,
        positive_label_rate=divide(g.label_counts(1)[1], g.n_d),
        confusion=tuple(fractions(g.confusion(1))) if post else None,  # type: ignore[arg-type]
        rest_rows=g.n_a,
        rest_positive_label_rate=_rate(g.label_counts(0)[1], g.n_a),
        positive_prediction_rate=_rate(g.pred_counts(1)[1], g.n_d) if post else None,
        rest_positive_prediction_rate=_rate(g.pred_counts(0)[1], g.n_a) if post else None,
        rest_confusion=tuple(fractions(g.confusion(0))) if post else None,  # type: ignore[arg-type]
    )


def performance(resolved: Resolved) -> ModelPerformance:
    """The binary model performance over all rows, from the stage's own label and prediction masks."""
    c = _overall_confusion(resolved)
    return ModelPerformance(metrics=tuple((name, fn(c)) for name, _, fn in PERFORMANCE),
                            confusion=tuple(fractions(c)))  # type: ignore[arg-type]


def _overall_confusion(resolved: Resolved) -> Confusion:
    mask = resolved.label.mask
    return Groups.build(np.zeros(len(mask), dtype=bool), mask, resolved.pred, weights=resolved.weights).confusion(0)


def bias_basic_stats(
    frame: pd.DataFrame,
    *,
    stage: Literal["pre_training", "post_training"],
    label: str,
    label_values: Sequence,
    facets: Sequence[FacetSpec],
    predicted_label: str | None = None,
    label_data_type: Literal["categorical", "continuous"] | None = None,
) -> dict[str, list[dict]]:
    """{facet name: [{"value_or_threshold": str, "metrics": [proportion, ...]}, ...]}."""
    resolved, kinds = resolve(frame, stage=stage, label=label, label_values=label_values, facets=facets,
                              predicted_label=predicted_label, label_data_type=label_data_type)
    return {
        spec.name: [{"value_or_threshold": text, "metrics": facet_stats(g)}
                    for text, g in facet_entries(frame, resolved, spec, kind)]
        for spec, kind in zip(facets, kinds, strict=True)
    }


#: (name, description, function of the overall confusion counts), in Clarify's order.
PERFORMANCE = [
    ("Accuracy", "Proportion of inputs assigned the correct predicted label by the model.",
     lambda c: divide(c.TN + c.TP, c.n)),
    ("Proportion of Positive Predictions in Labels", "Proportion of input assigned in positive predicted label.",
     lambda c: divide(c.TP + c.FP, c.n)),
    ("Proportion of Negative Predictions in Labels", "Proportion of input assigned the negative predicted label.",
     lambda c: divide(c.TN + c.FN, c.n)),
    ("True Positive Rate / Recall",
     "Proportion of inputs with positive observed label correctly assigned the positive predicted label.",
     lambda c: divide(c.TP, c.TP + c.FN)),
    ("True Negative Rate / Specificity",
     "Proportion of inputs with negative observed label correctly assigned the negative predicted label.",
     lambda c: divide(c.TN, c.TN + c.FP)),
    ("Acceptance Rate / Precision",
     "Proportion of inputs with positive predicted label that actually have a positive observed label.",
     lambda c: divide(c.TP, c.TP + c.FP)),
    ("Rejection Rate",
     "Proportion of inputs with negative predicted label that actually have a negative observed label.",
     lambda c: divide(c.TN, c.TN + c.FN)),
    ("Conditional Acceptance", "Ratio between the positive observed labels and positive predicted labels.",
     lambda c: divide(c.TP + c.FN, c.TP + c.FP)),
    ("Conditional Rejection", "Ratio between the negative observed labels and negative predicted labels.",
     lambda c: divide(c.TN + c.FP, c.TN + c.FN)),
    ("F1 Score", "Harmonic mean of precision and recall.", lambda c: _f1(c)),
]


def _f1(c: Confusion) -> float:
    precision, recall = divide(c.TP, c.TP + c.FP), divide(c.TP, c.TP + c.FN)
    return 2 * divide(precision * recall, precision + recall)


def multiclass_confusion_matrix(labels: pd.Series, predictions: pd.Series) -> dict[str, dict[str, float]] | None:
    """{str(true): {str(predicted): count}} over the label's distinct values (sorted).

    Predictions are cast to the label's category type first; values outside the label's
    values are not counted. None when the cast fails (logged).
    """
    labels = labels.astype("category")
    predictions = predictions.astype("category")
    values = list(labels.unique())
    values.sort()  # raises for unorderable values; the caller reports it
    try:
        cats = predictions.cat.categories.astype(labels.cat.categories.dtype)
        predictions = predictions.astype(pd.CategoricalDtype(cats, labels.cat.ordered))
    except (TypeError, ValueError) as exc:
        logger.warning("Predicted labels could not be cast to the label type; no confusion matrix: %s", exc)
        return None
    k = len(values)
    true_idx = pd.Categorical(labels, categories=values).codes.astype(np.int64)
    pred_idx = pd.Categorical(predictions, categories=values).codes.astype(np.int64)
    keep = (true_idx >= 0) & (pred_idx >= 0)
    counts = np.bincount(true_idx[keep] * k + pred_idx[keep], minlength=k * k).reshape(k, k)
    keys = [str(v) for v in values]
    return {keys[i]: {keys[j]: float(counts[i, j]) for j in range(k)} for i in range(k)}


def model_performance_report(
    frame: pd.DataFrame,
    *,
    label: str,
    label_values: Sequence,
    predicted_label: str,
    label_data_type: Literal["categorical", "continuous"] | None = None,
) -> dict[str, Any]:
    """{"label", "model_performance_metrics": [10 metrics], "binary_confusion_matrix":
    [TP, FP, FN, TN] / n, "confusion_matrix" (categorical labels only)}."""
    resolved, _ = resolve(frame, stage="post_training", label=label, label_values=label_values, facets=[],
                          predicted_label=predicted_label, label_data_type=label_data_type)
    c = _overall_confusion(resolved)
    report: dict[str, Any] = {
        "label": label,
        "model_performance_metrics": [
            {"name": name, "description": description, "value": json_value(fn(c))}
            for name, description, fn in PERFORMANCE
        ],
        "binary_confusion_matrix": fractions(c),
    }
    if resolved.label.kind == "categorical":
        try:
            matrix = multiclass_confusion_matrix(frame[label], frame[predicted_label])
        except Exception as exc:  # Clarify reports any failure inside the matrix itself
            logger.warning("Multicategory Confusion Matrix failed to compute due to: %s", exc)
            matrix = {"error": {str(exc): 0.0}}
        if matrix:
            report["confusion_matrix"] = matrix
    return report
