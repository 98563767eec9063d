"""Dataset summary and effective-config brief, on a frame small enough to check by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from analyzer.config.model import AnalysisConfig, FacetConfig, MethodsConfig, ShapConfig
from analyzer.data import Dataset
from analyzer.report import build_context, config_summary, summarize_dataset

# 8 rows: label 1 = positive; Sex F/M; Age numeric; predictions given.
FRAME = pd.DataFrame({
    "Age": [25, 32, 47, 51, 38, 60, 29, 44],
    "Sex": ["F", "F", "F", "M", "M", "M", "M", "M"],
    "y": [1, 0, 0, 1, 1, 0, 0, 1],
    "yhat": [1, 1, 0, 1, 0, 0, 0, 1],
})


def _config(**kwargs) -> AnalysisConfig:
    base = dict(dataset_type="text/csv", methods=MethodsConfig(pre_training_bias=("CI",), post_training_bias=("DPPL",)),
                label="y", label_values_or_threshold=(1,), facet=(FacetConfig("Sex", ("F",)),),
                label_data_type="categorical")   # 8 rows of 0/1 would otherwise be "continuous" (smclarify's rule)
    base.update(kwargs)
    return AnalysisConfig(**base)


def _dataset(facets: tuple[str, ...] = ("Sex",)) -> Dataset:
    return Dataset(frame=FRAME, features=("Age", "Sex"), label="y", predicted_label="yhat", facets=facets,
                   group_variable=None, join_column=None)


def test_summary_counts_rates_and_confusion_by_hand() -> None:
    summary = summarize_dataset(_config(), _dataset(), FRAME["yhat"])
    assert (summary.rows, summary.features, summary.label, summary.positive_label) == (8, 2, "y", "1")
    assert summary.label_distribution == (("1", 4), ("0", 4))
    [female] = summary.groups
    assert (female.facet, female.group, female.rows) == ("Sex", "F", 3)
    assert female.proportion == pytest.approx(3 / 8)
    assert female.positive_label_rate == pytest.approx(1 / 3)
    # F rows: (y, yhat) = (1,1) TP, (0,1) FP, (0,0) TN.
    assert female.confusion == pytest.approx((1 / 3, 1 / 3, 0.0, 1 / 3))
    perf = dict(summary.performance.metrics)
    # All rows: TP=3 (rows 0,3,7), FP=1 (row 1), FN=1 (row 4), TN=3.
    assert summary.performance.confusion == pytest.approx((3 / 8, 1 / 8, 1 / 8, 3 / 8))
    assert perf["Accuracy"] == pytest.approx(6 / 8)
    assert perf["True Positive Rate / Recall"] == pytest.approx(3 / 4)
    assert perf["Acceptance Rate / Precision"] == pytest.approx(3 / 4)
    assert perf["F1 Score"] == pytest.approx(3 / 4)
    assert perf["Conditional Acceptance"] == pytest.approx(1.0)
    assert len(perf) == 10


def test_threshold_facet_and_every_value_facet() -> None:
    config = _config(facet=(FacetConfig("Age", (40,)), FacetConfig("Sex")))
    summary = summarize_dataset(config, _dataset(("Age", "Sex")))
    groups = [(g.facet, g.group, g.rows) for g in summary.groups]
    # The bias metrics' own groups: 8 distinct ages of 8 make Age continuous, so [40] is the interval
    # (40, 60]; one-vs-rest groups come in order of first appearance.
    assert groups == [("Age", "(40, 60]", 4), ("Sex", "F", 3), ("Sex", "M", 5)]
    assert summary.performance is None and summary.groups[0].confusion is None


def test_small_int_label_follows_smclarify_uniqueness_rule() -> None:
    summary = summarize_dataset(_config(label_data_type=None), _dataset())
    # 8 rows of 0/1 are "continuous" (2 distinct values of 8), so [1] means label > 1: nothing.
    assert summary.positive_label == "none (the threshold 1 selects no rows)"


def test_text_labels_match_numeric_values_like_the_metrics() -> None:
    frame = FRAME.assign(y=FRAME["y"].astype(str))
    dataset = Dataset(frame=frame, features=("Age", "Sex"), label="y", predicted_label=None, facets=("Sex",),
                      group_variable=None, join_column=None)
    [female] = summarize_dataset(_config(), dataset).groups
    assert female.positive_label_rate == pytest.approx(1 / 3)   # config [1] matches the text "1"


def test_model_performance_zero_denominators_are_zero() -> None:
    summary = summarize_dataset(_config(), _dataset(), 1 - FRAME["y"])   # every prediction wrong: TP = 0
    values = dict(summary.performance.metrics)
    # precision = recall = 0, so F1 = 2 * 0 / (0 + 0) = 0 by smclarify's divide (0/0 = 0).
    assert values["Acceptance Rate / Precision"] == 0.0 and values["F1 Score"] == 0.0
    assert values["Accuracy"] == 0.0


def test_config_summary_lists_what_was_asked() -> None:
    config = _config(methods=MethodsConfig(pre_training_bias=("CI", "DPL"), shap=ShapConfig(num_samples=100)))
    lines = dict(config_summary(config))
    assert lines["label"] == "y"
    assert lines["facet[0]"] == "Sex (F)"
    assert lines["pre_training_bias"] == "CI, DPL"
    assert lines["shap"].startswith("num_samples=100, agg_method=mean_abs")


def test_build_context_has_a_date_and_the_summary() -> None:
    context = build_context(_config(), _dataset(), predicted_labels=FRAME["yhat"], shap_warnings=["w"])
    assert context.generated.endswith("UTC")
    assert context.dataset.rows == 8 and context.shap_warnings == ("w",)
    assert build_context(_config(), None, generated="today").dataset is None
