"""Kernel SHAP against peer libraries: exact interventional TreeSHAP on Adult, shap.KernelExplainer."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer.explain import kernel_shap
from components import require_module

pytestmark = [pytest.mark.oracle, pytest.mark.slow]  # trains an XGBoost model on all of Adult

ROOT = Path(__file__).resolve().parents[2]


def _adult() -> tuple[pd.DataFrame, np.ndarray]:
    path = ROOT / "data" / "adult" / "adult_train.csv"
    if not path.exists():
        import runpy

        runpy.run_path(str(ROOT / "scripts" / "fetch_datasets.py"), run_name="fetch")["fetch"](ROOT / "data")
    raw = pd.read_csv(path)
    y = (raw.pop("Target").str.strip() == ">50K").to_numpy(int)
    for col in raw.columns:  # label-encoded, as in the Clarify sample notebook
        if raw[col].dtype.kind not in "iuf":
            raw[col] = pd.factorize(raw[col], sort=True)[0]
    return raw.astype(float), y


@pytest.fixture(scope="module")
def adult_model():
    xgb = require_module("xgboost")
    x, y = _adult()
    params = {"objective": "binary:logistic", "max_depth": 5, "eta": 0.2, "gamma": 4,
              "min_child_weight": 6, "subsample": 0.8, "nthread": 2, "seed": 0}
    booster = xgb.train(params, xgb.DMatrix(x.to_numpy(), label=y, feature_names=list(x.columns)),
                        num_boost_round=100)
    return booster, x


def treeshap_errors(booster, x, rows=200, budgets=(50, 200, 1000)):
    """Mean absolute error (log-odds) of Kernel SHAP vs exact interventional TreeSHAP, per budget."""
    shap = require_module("shap")
    base = x.median().to_frame().T
    records = x.iloc[:rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.TreeExplainer(booster, data=base, feature_perturbation="interventional",
                                       model_output="raw")
        exact = explainer.shap_values(records)
    assert exact.shape == (rows, x.shape[1]) == (rows, 14)  # every record and feature is compared
    predict = lambda f: booster.inplace_predict(f.to_numpy())  # noqa: E731
    out = {}
    for ns in budgets:
        res = kernel_shap(predict, records, base, num_samples=ns, use_logit=True, seed=0)
        err = np.abs(res.local_values[:, :, 0] - exact)
        out[ns] = (err.mean(), err.sum() / np.abs(exact).sum(), res.local_std_errors.mean())
    return out, np.abs(exact).mean()


def test_error_vs_exact_treeshap_falls_with_num_samples(adult_model):
    booster, x = adult_model
    errors, scale = treeshap_errors(booster, x)
    mae = [errors[ns][0] for ns in (50, 200, 1000)]
    assert mae[0] > mae[1] > mae[2]
    assert errors[1000][1] < 0.05  # relative L1 error under 5 % at 1000 samples (M = 14)
    for ns in (200, 1000):  # the reported standard error is the right size
        assert 0.3 < errors[ns][2] / errors[ns][0] < 3


def test_agrees_with_shap_kernel_explainer_within_sampling_error(adult_model):
    shap = require_module("shap")
    booster, x = adult_model
    base = x.iloc[[3, 10]]
    records = x.iloc[20:30]
    prob = lambda a: booster.inplace_predict(np.asarray(a))  # noqa: E731
    res = kernel_shap(lambda f: prob(f.to_numpy()), records, base, num_samples=2000, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = shap.KernelExplainer(prob, base.to_numpy()).shap_values(
            records.to_numpy(), nsamples=2000, l1_reg=False, silent=True)
    np.testing.assert_allclose(res.expected_value[0], np.mean(prob(base.to_numpy())), rtol=1e-6)
    assert theirs.shape == res.local_values[:, :, 0].shape == (10, 14)  # 140 values compared
    diff = np.abs(res.local_values[:, :, 0] - theirs)
    bound = 5 * np.sqrt(2) * res.local_std_errors[:, :, 0] + 1e-6
    assert np.mean(diff <= bound) > 0.97
    np.testing.assert_allclose(res.local_values.sum(1)[:, 0], theirs.sum(1), atol=1e-6)


def test_stays_bounded_where_shap_solver_is_rank_deficient(adult_model):
    booster, x = adult_model
    base = x.mean().to_frame().T  # every feature varies (fractional means)
    records = x.iloc[:50]
    res = kernel_shap(lambda f: booster.inplace_predict(f.to_numpy()), records, base,
                      num_samples=8, use_logit=True)
    delta = np.abs(res.local_values.sum(1)).max()
    assert np.abs(res.local_values).max() <= 2 * delta + 1
    assert res.warnings
