"""Basic statistics and the model performance report on a hand-checked frame."""
from __future__ import annotations

import pandas as pd
import pytest

from analyzer.bias import FacetSpec
from analyzer.bias.stats import bias_basic_stats, model_performance_report

# d = "F" rows 0-3. Confusion (label, prediction):
#   d: (1,1) (0,0) (0,1) (1,0) -> TP 1, TN 1, FP 1, FN 1
#   a: (1,1) (1,1) (0,0) (0,0) (0,1) (1,1) -> TP 3, TN 2, FP 1, FN 0
DF = pd.DataFrame({
    "sex": ["F", "F", "F", "F", "M", "M", "M", "M", "M", "M"],
    "y": ["yes", "no", "no", "yes", "yes", "yes", "no", "no", "no", "yes"],
    "p": ["yes", "no", "yes", "no", "yes", "yes", "no", "no", "yes", "yes"],
})


def test_basic_stats():
    out = bias_basic_stats(DF, stage="post_training", label="y", label_values=["yes"],
                           facets=[FacetSpec("sex", ("F",))], predicted_label="p")
    (entry,) = out["sex"]
    assert entry["value_or_threshold"] == "F"
    assert entry["metrics"] == [
        {"name": "proportion", "description": "Proportion of examples in sensitive facet.", "value": 0.4},
        {"name": "observed_label_distribution",
         "description": "Distribution of observed label outcomes for sensitive facet", "value": [0.5, 0.5]},
        {"name": "confusion_matrix", "description": "Fractions of TP, FP, FN, TN.",
         "value": [0.25, 0.25, 0.25, 0.25]},
    ]
    pre = bias_basic_stats(DF, stage="pre_training", label="y", label_values=["yes"],
                           facets=[FacetSpec("sex", ("F",))])
    assert [m["name"] for m in pre["sex"][0]["metrics"]] == ["proportion", "observed_label_distribution"]


def test_model_performance():
    # all rows: TP 4, TN 3, FP 2, FN 1, n = 10
    out = model_performance_report(DF, label="y", label_values=["yes"], predicted_label="p")
    values = {m["name"]: m["value"] for m in out["model_performance_metrics"]}
    precision, recall = 4 / 6, 4 / 5
    assert values == pytest.approx({
        "Accuracy": 7 / 10,
        "Proportion of Positive Predictions in Labels": 6 / 10,
        "Proportion of Negative Predictions in Labels": 4 / 10,
        "True Positive Rate / Recall": recall,
        "True Negative Rate / Specificity": 3 / 5,
        "Acceptance Rate / Precision": precision,
        "Rejection Rate": 3 / 4,
        "Conditional Acceptance": 5 / 6,
        "Conditional Rejection": 5 / 4,
        "F1 Score": 2 * precision * recall / (precision + recall),
    })
    assert out["binary_confusion_matrix"] == pytest.approx([0.4, 0.2, 0.1, 0.3])
    # rows: true label, columns: prediction
    assert out["confusion_matrix"] == {"no": {"no": 3.0, "yes": 2.0}, "yes": {"no": 1.0, "yes": 4.0}}
    assert list(out) == ["label", "model_performance_metrics", "binary_confusion_matrix", "confusion_matrix"]
