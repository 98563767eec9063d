"""The bias stage's typed result: group statistics and model performance of the section's own groups,
checked by hand on a frame small enough to count."""
from __future__ import annotations

import pandas as pd
import pytest

from analyzer.bias import FacetSpec, bias_section, run_bias

# 8 rows: label 1 = positive; Sex F/M; Age numeric; predictions given.
FRAME = pd.DataFrame({
    "Age": [25, 32, 47, 51, 38, 60, 29, 44],
    "Sex": ["F", "F", "F", "M", "M", "M", "M", "M"],
    "y": [1, 0, 0, 1, 1, 0, 0, 1],
    "yhat": [1, 1, 0, 1, 0, 0, 0, 1],
})


SEX_F = (FacetSpec("Sex", ("F",)),)


def _run(stage: str = "post_training", facets=SEX_F, frame: pd.DataFrame = FRAME,
         label_data_type: str | None = "categorical", **kwargs):
    # 8 rows of 0/1 would otherwise be "continuous" (smclarify's uniqueness rule).
    predicted = "yhat" if stage == "post_training" else None
    return run_bias(frame, stage=stage, label="y", label_values=[1], facets=list(facets), predicted_label=predicted,
                    label_data_type=label_data_type, **kwargs)


def test_group_rates_and_confusion_by_hand() -> None:
    result = _run()
    assert (result.rows, result.label, result.positive_label) == (8, "y", "1")
    assert result.label_distribution == (("1", 4), ("0", 4))
    [female] = result.groups
    assert (female.facet, female.group, female.rows, female.rest_rows) == ("Sex", "F", 3, 5)
    assert female.proportion == pytest.approx(3 / 8)
    assert female.positive_label_rate == pytest.approx(1 / 3)        # F labels 1, 0, 0
    assert female.rest_positive_label_rate == pytest.approx(3 / 5)   # M labels 1, 1, 0, 0, 1
    assert female.positive_prediction_rate == pytest.approx(2 / 3)   # F predictions 1, 1, 0
    assert female.rest_positive_prediction_rate == pytest.approx(2 / 5)
    # F rows: (y, yhat) = (1,1) TP, (0,1) FP, (0,0) TN.  M rows: TP, FN, TN, TN, TP.
    assert female.confusion == pytest.approx((1 / 3, 1 / 3, 0.0, 1 / 3))
    assert female.rest_confusion == pytest.approx((2 / 5, 0.0, 1 / 5, 2 / 5))
    assert female.accuracy == pytest.approx(2 / 3) and female.rest_accuracy == pytest.approx(4 / 5)


def test_model_performance_by_hand() -> None:
    perf = _run().performance
    # All rows: TP=3 (rows 0,3,7), FP=1 (row 1), FN=1 (row 4), TN=3.
    assert perf.confusion == pytest.approx((3 / 8, 1 / 8, 1 / 8, 3 / 8))
    values = dict(perf.metrics)
    assert len(values) == 10
    assert values["Accuracy"] == pytest.approx(6 / 8)
    assert values["True Positive Rate / Recall"] == pytest.approx(3 / 4)
    assert values["Acceptance Rate / Precision"] == pytest.approx(3 / 4)
    assert values["F1 Score"] == pytest.approx(3 / 4)
    assert values["Conditional Acceptance"] == pytest.approx(1.0)


def test_zero_denominators_are_zero() -> None:
    perf = _run(frame=FRAME.assign(yhat=1 - FRAME["y"])).performance   # every prediction wrong: TP = 0
    values = dict(perf.metrics)
    # precision = recall = 0, so F1 = 2 * 0 / (0 + 0) = 0 by smclarify's divide (0/0 = 0).
    assert values["Acceptance Rate / Precision"] == 0.0 and values["F1 Score"] == 0.0
    assert values["Accuracy"] == 0.0


def test_groups_follow_the_section_entries() -> None:
    result = _run("pre_training", facets=(FacetSpec("Age", (40,)), FacetSpec("Sex")))
    # 8 distinct ages of 8 make Age continuous, so [40] is the interval (40, 60]; one-vs-rest groups
    # come in order of first appearance.
    entries = [(name, e["value_or_threshold"]) for name, es in result.section["facets"].items() for e in es]
    assert [(g.facet, g.group) for g in result.groups] == entries == [("Age", "(40, 60]"), ("Sex", "F"), ("Sex", "M")]
    assert [g.rows for g in result.groups] == [4, 3, 5]
    assert result.performance is None and all(g.confusion is None for g in result.groups)
    assert all(g.positive_prediction_rate is None for g in result.groups)


def test_small_int_label_follows_smclarify_uniqueness_rule() -> None:
    result = _run("pre_training", label_data_type=None)
    # 8 rows of 0/1 are "continuous" (2 distinct values of 8), so [1] means label > 1: nothing.
    assert result.positive_label == "none (the threshold 1 selects no rows)"
    assert result.section["label_value_or_threshold"] == ""


def test_text_labels_match_numeric_values_like_the_metrics() -> None:
    [female] = _run("pre_training", frame=FRAME.assign(y=FRAME["y"].astype(str))).groups
    assert female.positive_label_rate == pytest.approx(1 / 3)   # config [1] matches the text "1"


def test_section_is_the_results_section_and_warnings_are_collected_once() -> None:
    frame = FRAME.assign(Age=FRAME["Age"].astype(float))
    kwargs = dict(facets=(FacetSpec("Age", (40,)), FacetSpec("Age", (40,))))
    result = _run("pre_training", frame=frame.assign(Sex=list("FFFMMMMM")), **kwargs)
    warnings: list[str] = []
    section = bias_section(frame.assign(Sex=list("FFFMMMMM")), stage="pre_training", label="y", label_values=[1],
                           facets=list(kwargs["facets"]), label_data_type="categorical", warnings=warnings)
    assert section == result.section
    assert list(result.warnings) == warnings == list(dict.fromkeys(warnings))
