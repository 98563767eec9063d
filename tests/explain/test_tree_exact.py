"""Exact interventional TreeSHAP against our Kernel SHAP with every coalition (the same game, so the
same numbers) and against shap's interventional TreeExplainer; fallbacks say why."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))

from analyzer.explain import ShapSettings, explain  # noqa: E402
from analyzer.explain.exact import exact_reason  # noqa: E402
from analyzer.explain.tree_exact import tree_shap_values  # noqa: E402
from analyzer.formats import CSV  # noqa: E402
from analyzer.formats.responses import ResponseCodec  # noqa: E402
from analyzer.models.artifacts import LoadedModel  # noqa: E402
from analyzer.models.parsers import IDENTITY, LOGISTIC, model_trees  # noqa: E402
from analyzer.predictor.inprocess_backend import ModelFilePredictor  # noqa: E402
from tree_fixtures import dataset, train  # noqa: E402

FULL = 2**6 - 2  # every coalition of 6 features


def _predictor(kind: str, model) -> ModelFilePredictor:
    library = "xgboost" if kind.startswith("xgb") else "lightgbm" if kind.startswith("lgb") else "sklearn"
    return ModelFilePredictor(LoadedModel(kind=library, name=kind, model=model), ResponseCodec(CSV))


def _scores(predictor: ModelFilePredictor):
    def predict(frame: pd.DataFrame) -> np.ndarray:
        output = predictor.predict(frame)
        return output.scores if output.scores is not None else np.asarray(output.labels, float)[:, None]
    return predict


def _both(kind: str, baseline: pd.DataFrame, weights=None, use_logit=False, features=None, rows=60):
    x, y = dataset()
    predictor = _predictor(kind, train(kind, x, y))
    records = dataset(rows, seed=3)[0]
    settings = dict(baseline=baseline, baseline_weights=weights, use_logit=use_logit, num_samples=FULL,
                    features_to_explain=features)
    exact = explain(_scores(predictor), records, shap=ShapSettings(**settings, algorithm="tree_exact"),
                    tree_sources=predictor.tree_sources).kernel_shap
    kernel = explain(_scores(predictor), records, shap=ShapSettings(**settings)).kernel_shap
    return exact, kernel


@pytest.mark.parametrize("kind", ["xgb_reg", "lgb_reg", "rf", "rf_reg", "gb_reg", "dt", "hgb_reg"])
def test_exact_equals_kernel_shap_with_every_coalition(kind):
    baseline = dataset(3, seed=7)[0]
    exact, kernel = _both(kind, baseline, weights=[0.5, 0.3, 0.2])
    assert exact.algorithm == "tree_exact" and kernel.algorithm == "kernel"
    assert (kernel.num_samples_used[kernel.num_varying >= 2] == FULL).all()
    np.testing.assert_allclose(exact.local_values, kernel.local_values, rtol=0, atol=1e-6)
    np.testing.assert_allclose(exact.expected_value, kernel.expected_value, rtol=0, atol=1e-6)
    assert exact.feature_names == kernel.feature_names
    np.testing.assert_array_equal(exact.num_varying, kernel.num_varying)


# XGBoost returns float32 probabilities: their logit near 0 or 1 carries ~1e-5 of rounding, which
# Kernel SHAP inherits; LightGBM and scikit-learn compute in float64.
@pytest.mark.parametrize("kind,tolerance", [("lgb", 1e-6), ("gb", 1e-6), ("hgb", 1e-6), ("ada", 1e-6),
                                            ("xgb", 1e-4)])
def test_log_odds_with_one_baseline_row_equal_kernel_shap(kind, tolerance):
    baseline = dataset(1, seed=9)[0]
    exact, kernel = _both(kind, baseline, use_logit=True)
    assert exact.algorithm == "tree_exact"
    np.testing.assert_allclose(exact.local_values, kernel.local_values, rtol=0, atol=tolerance)
    np.testing.assert_allclose(exact.expected_value, kernel.expected_value, rtol=0, atol=tolerance)


def test_every_class_probability_of_a_forest_is_explained_at_once():
    x, y = dataset()
    y3 = y + (x["f3"].to_numpy() > 2)
    predictor = ModelFilePredictor(LoadedModel(kind="sklearn", name="rf3", model=train("rf", x, y3)),
                                   ResponseCodec(CSV))
    records, baseline = dataset(40, seed=3)[0], dataset(2, seed=4)[0]
    settings = dict(baseline=baseline, num_samples=FULL)
    exact = explain(_scores(predictor), records, shap=ShapSettings(**settings, algorithm="tree_exact"),
                    tree_sources=predictor.tree_sources).kernel_shap
    kernel = explain(_scores(predictor), records, shap=ShapSettings(**settings)).kernel_shap
    assert exact.algorithm == "tree_exact" and exact.local_values.shape == (40, 6, 3)
    np.testing.assert_allclose(exact.local_values, kernel.local_values, rtol=0, atol=1e-6)
    np.testing.assert_allclose(exact.expected_value, kernel.expected_value, rtol=0, atol=1e-6)


def test_features_to_explain_plays_the_subset_game():
    baseline = dataset(2, seed=5)[0]
    exact, kernel = _both("lgb_reg", baseline, features=["f0", "f2", "f3"])
    assert exact.algorithm == "tree_exact" and exact.feature_names == ["f0", "f2", "f3"]
    np.testing.assert_allclose(exact.local_values, kernel.local_values, rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind,use_logit,rows,reason", [
    ("xgb", False, 1, "probabilities"), ("xgb", True, 3, "baseline rows"), ("rf", True, 1, "logit of a sum")])
def test_games_that_differ_fall_back_to_kernel_shap_with_the_reason(kind, use_logit, rows, reason, caplog):
    caplog.set_level(logging.WARNING, logger="analyzer.explain.exact")
    exact, kernel = _both(kind, dataset(rows, seed=2)[0], use_logit=use_logit, rows=10)
    assert exact.algorithm == "kernel"
    np.testing.assert_array_equal(exact.local_values, kernel.local_values)
    assert reason in caplog.text and "using Kernel SHAP instead" in caplog.text


def test_scores_that_are_no_single_margin_fall_back(caplog):
    x, y = dataset()
    y3 = y + (x["f3"].to_numpy() > 2)
    predictor = ModelFilePredictor(LoadedModel(kind="sklearn", name="gb3", model=train("gb", x, y3)),
                                   ResponseCodec(CSV))
    caplog.set_level(logging.WARNING, logger="analyzer.explain.exact")
    result = explain(_scores(predictor), x.iloc[:5], shap=ShapSettings(baseline=x.iloc[:1], num_samples=20,
                     algorithm="tree_exact"), tree_sources=predictor.tree_sources).kernel_shap
    assert result.algorithm == "kernel" and "softmax" in caplog.text


def test_exact_reason_names_what_is_exact():
    assert exact_reason([(0, IDENTITY)], use_logit=False, baseline_rows=10) is None
    assert exact_reason([(0, LOGISTIC)], use_logit=True, baseline_rows=1) is None
    assert "not additive" in exact_reason([(0, LOGISTIC)], use_logit=False, baseline_rows=1)
    assert "2 baseline rows" in exact_reason([(0, LOGISTIC)], use_logit=True, baseline_rows=2)


def test_values_add_up_to_the_margin_with_missing_values():
    x, y = dataset(missing=True)
    trees = model_trees("xgboost", train("xgb", x, y))
    records = dataset(100, seed=4, missing=True)[0].to_numpy()
    baseline = dataset(4, seed=6, missing=True)[0].to_numpy()
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    phi, expected = tree_shap_values(trees.ensemble, records, baseline, weights, np.arange(6), [0])
    margin = trees.ensemble.margin(records)[:, 0]
    np.testing.assert_allclose(phi.sum(axis=1)[:, 0] + expected[0], margin, atol=1e-9)
    assert np.isclose(expected[0], weights @ trees.ensemble.margin(baseline)[:, 0])


@pytest.mark.oracle
@pytest.mark.slow
def test_adult_equals_shap_interventional_tree_explainer(datasets):
    shap = pytest.importorskip("shap")
    import xgboost as xgb

    raw = pd.read_csv(datasets / "adult" / "adult_train.csv", nrows=4000)
    y = (raw.pop("Target").str.strip() == ">50K").to_numpy(int)
    x = pd.get_dummies(raw, dtype=float).astype(float)
    booster = xgb.train({"objective": "binary:logitraw", "max_depth": 5, "eta": 0.2, "nthread": 1, "seed": 0},
                        xgb.DMatrix(x.to_numpy(), label=y), 100)
    baseline = x.iloc[::400].iloc[:10]
    records = x.iloc[:300]
    trees = model_trees("xgboost", booster)
    phi, expected = tree_shap_values(trees.ensemble, records.to_numpy(), baseline.to_numpy(), np.ones(10),
                                     np.arange(x.shape[1]), [0])
    explainer = shap.TreeExplainer(booster, data=baseline.to_numpy(), feature_perturbation="interventional")
    oracle = explainer.shap_values(records.to_numpy(), check_additivity=False)
    np.testing.assert_allclose(phi[:, :, 0], oracle, rtol=0, atol=1e-6)
    # shap's expected value is XGBoost's own float32 prediction of the background; ours sums leaves in float64
    np.testing.assert_allclose(expected[0], explainer.expected_value, atol=1e-5)
