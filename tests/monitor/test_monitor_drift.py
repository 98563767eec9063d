"""Drift against a baseline: bias drift (distance from neutral, DI on the log scale, Infinity, errors,
tolerance) and attribution drift (nDCG, by hand and against scikit-learn's ndcg_score)."""
from __future__ import annotations

import math
import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from analyzer.monitor.drift import attribution_drift, bias_drift, ndcg
from analyzer.monitor.violations import FAIL, NOT_CHECKED, PASS
from monitor_fixtures import document, metric


BASELINE = document(
    post={"Sex": {"0": [metric("CDDPL", 0.28176563733194276), metric("DCR", 0.0279), metric("DI", 0.8),
                        metric("DPPL", -0.05), metric("TE", 2.92), metric("AD", "Infinity"),
                        metric("RD", 0.1), metric("SD", None, "Facet set is empty."), metric("GE", 0.01)],
                  "1": [metric("DI", 1.25), metric("DPPL", 0.05)]}},
    pre={"Sex": {"0": [metric("CI", 0.3), metric("KL", 0.02)]}})
CURRENT = document(
    post={"Sex": {"0": [metric("CDDPL", 0.374894782529513),      # farther from 0: violation (observed pair)
                        metric("DCR", -0.0651),                   # sign flip, farther: violation (observed)
                        metric("DI", 1.24),                       # |log 1.24| < |log 0.8|: pass (|1.24-1| > |0.8-1|)
                        metric("DPPL", 0.05),                     # same distance, other side: pass
                        metric("TE", "Infinity"),                 # finite → Infinity: violation (observed)
                        metric("AD", "Infinity"),                 # Infinity both sides: pass
                        metric("RD", None, "Negative facet set is empty."),   # error now: not checked
                        metric("SD", 0.5),                        # error in the baseline: not checked
                        metric("GE", 0.01)],                      # unchanged: pass
                  "1": [metric("DI", 0.7),                        # |log 0.7| > |log 1.25|: violation
                        metric("DPPL", "-Infinity")],             # -Infinity: violation
                  "2": [metric("DI", 0.1)]}},                     # a facet value not in the baseline
    pre={"Sex": {"0": [metric("CI", 0.3)]}})                      # KL only in the baseline


def _by_subject(outcomes):
    return {o.subject: o for o in outcomes}


def test_bias_drift_finds_exactly_the_expected_violations() -> None:
    outcomes = bias_drift(CURRENT, BASELINE)
    violations = [o.violation.to_json() for o in outcomes if o.violation is not None]
    assert violations == [
        {"facet": "Sex", "facet_value": "0", "metric_name": "CDDPL", "constraint_check_type": "bias_drift_check",
         "description": "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement "
                        "0.28176563733194276"},
        {"facet": "Sex", "facet_value": "0", "metric_name": "DCR", "constraint_check_type": "bias_drift_check",
         "description": "Metric value -0.0651 doesn't meet the baseline constraint requirement 0.0279"},
        {"facet": "Sex", "facet_value": "0", "metric_name": "TE", "constraint_check_type": "bias_drift_check",
         "description": "Metric value Infinity doesn't meet the baseline constraint requirement 2.92"},
        {"facet": "Sex", "facet_value": "1", "metric_name": "DI", "constraint_check_type": "bias_drift_check",
         "description": "Metric value 0.7 doesn't meet the baseline constraint requirement 1.25"},
        {"facet": "Sex", "facet_value": "1", "metric_name": "DPPL", "constraint_check_type": "bias_drift_check",
         "description": "Metric value -Infinity doesn't meet the baseline constraint requirement 0.05"},
    ]
    status = {s: o.status for s, o in _by_subject(outcomes).items()}
    assert status == {
        "Sex = 0, CDDPL (post-training)": FAIL, "Sex = 0, DCR (post-training)": FAIL,
        "Sex = 0, DI (post-training)": PASS, "Sex = 0, DPPL (post-training)": PASS,
        "Sex = 0, TE (post-training)": FAIL, "Sex = 0, AD (post-training)": PASS,
        "Sex = 0, RD (post-training)": NOT_CHECKED, "Sex = 0, SD (post-training)": NOT_CHECKED,
        "Sex = 0, GE (post-training)": PASS,
        "Sex = 1, DI (post-training)": FAIL, "Sex = 1, DPPL (post-training)": FAIL,
        "Sex = 2, DI (post-training)": NOT_CHECKED,
        "Sex = 0, CI (pre-training)": PASS, "Sex = 0, KL (pre-training)": NOT_CHECKED,
    }
    details = _by_subject(outcomes)
    assert "Negative facet set is empty." in details["Sex = 0, RD (post-training)"].detail
    assert "Facet set is empty." in details["Sex = 0, SD (post-training)"].detail
    assert details["Sex = 2, DI (post-training)"].detail == "Not in the baseline"
    assert "not computed in this run" in details["Sex = 0, KL (pre-training)"].detail


@pytest.mark.parametrize(("baseline", "current", "violated"), [
    (0.8, 1.24, False), (0.8, 1.26, True), (0.8, 0.79, True), (0.8, 0.8, False), (1.25, 0.8, False),
    (1.0, 1.0001, True), (0.5, 2.0, False), (0.5, 2.01, True), (0.9, 0.0, True), (0.0, 0.5, False),
    ("Infinity", 0.0, False), (0.0, "Infinity", False), (2.0, "Infinity", True),
])
def test_di_is_judged_on_the_log_scale_on_both_sides_of_one(baseline, current, violated) -> None:
    outcomes = bias_drift(document({"s": {"a": [metric("DI", current)]}}),
                          document({"s": {"a": [metric("DI", baseline)]}}))
    assert [o.status == FAIL for o in outcomes] == [violated]


def test_tolerance_is_added_to_the_baseline_distance() -> None:
    current = document({"s": {"a": [metric("DPPL", -0.15), metric("DI", 0.7)]}})
    baseline = document({"s": {"a": [metric("DPPL", 0.1), metric("DI", 0.8)]}})
    assert [o.status for o in bias_drift(current, baseline)] == [FAIL, FAIL]
    # DPPL grows by 0.05; DI by |log 0.7| - |log 0.8| = 0.1335 on the log scale.
    assert [o.status for o in bias_drift(current, baseline, tolerance=0.06)] == [PASS, FAIL]
    assert [o.status for o in bias_drift(current, baseline, tolerance=0.14)] == [PASS, PASS]
    assert "tolerance 0.14" in bias_drift(current, baseline, tolerance=0.14)[0].criterion


def test_null_without_error_is_not_checked() -> None:
    outcomes = bias_drift(document({"s": {"a": [metric("DPPL", None)]}}),
                          document({"s": {"a": [metric("DPPL", 0.1)]}}))
    assert [(o.status, o.detail) for o in outcomes] == [(NOT_CHECKED, "No value in this run: no value")]


# -- attribution drift ------------------------------------------------------------------------------
def test_ndcg_of_the_aws_documentation_example_by_hand() -> None:
    # AWS's college-admission example: training (baseline) and live attributions; documented nDCG 0.69.
    baseline = {"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05}
    live = {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70}
    # Live ranking: Class rank, GPA, SAT score; relevance = baseline attribution.
    dcg = 0.05 / math.log2(2) + 0.50 / math.log2(3) + 0.70 / math.log2(4)
    idcg = 0.70 / math.log2(2) + 0.50 / math.log2(3) + 0.05 / math.log2(4)
    assert ndcg(baseline, live) == pytest.approx(dcg / idcg, rel=1e-12)
    assert round(ndcg(baseline, live), 2) == 0.69


def test_ndcg_small_hand_example_and_identity() -> None:
    baseline = {"a": 3.0, "b": 2.0, "c": 1.0}
    current = {"a": 0.2, "b": 0.9, "c": 0.1}      # ranking b, a, c
    expected = (2 + 3 / math.log2(3) + 1 / 2) / (3 + 2 / math.log2(3) + 1 / 2)
    assert ndcg(baseline, current) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.92249, abs=1e-5)
    assert ndcg(baseline, baseline) == pytest.approx(1.0)
    assert ndcg(baseline, {k: v * 7 for k, v in baseline.items()}) == pytest.approx(1.0)   # scale-free


def test_ndcg_agrees_with_scikit_learn_including_ties() -> None:
    rng = np.random.default_rng(7)
    for trial in range(200):
        m = int(rng.integers(2, 12))
        baseline = rng.random(m)
        current = rng.random(m)
        if trial % 3 == 0:
            current = np.round(current, 1)   # ties in the current ranking
        names = [f"f{i}" for i in range(m)]
        ours = ndcg(dict(zip(names, baseline, strict=True)), dict(zip(names, current, strict=True)))
        assert ours == pytest.approx(ndcg_score([baseline], [current]), rel=1e-9, abs=1e-12)


def test_ndcg_missing_features_count_as_zero_and_zero_baseline_is_nan() -> None:
    baseline = {"a": 1.0, "b": 0.5}
    current = {"b": 0.4, "c": 0.9}    # a missing now, c new
    expected = ndcg_score([[1.0, 0.5, 0.0]], [[0.0, 0.4, 0.9]])
    assert ndcg(baseline, current) == pytest.approx(expected)
    assert math.isnan(ndcg({"a": 0.0}, {"a": 1.0}))


def test_attribution_drift_violation_per_label() -> None:
    baseline = document({}, shap={"label0": {"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05},
                                   "label1": {"x": 1.0, "y": 0.5}, "old": {"x": 1.0}})
    current = document({}, shap={"label0": {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70},
                                  "label1": {"x": 0.9, "y": 0.6}, "new": {"x": 1.0}})
    outcomes = attribution_drift(current, baseline)
    score = ndcg({"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05},
                 {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70})
    assert [o.violation.to_json() for o in outcomes if o.violation] == [
        {"label": "label0", "metric_name": "shap", "constraint_check_type": "feature_attribution_drift_check",
         "description": f"Feature attribution drift {score!r} exceeds threshold 0.9"}]
    assert [(o.subject.split(",")[0], o.status) for o in outcomes] == [
        ("label0", FAIL), ("label1", PASS), ("new", NOT_CHECKED), ("old", NOT_CHECKED)]
    # The threshold is configurable: 0.6 lets label0 pass.
    assert all(o.status != FAIL for o in attribution_drift(current, baseline, threshold=0.6))
