"""The trees read from each library reproduce the library's own raw predictions."""
from __future__ import annotations

import numpy as np
import pytest

from analyzer.models.ensemble import UnsupportedModel
from analyzer.models.parsers import IDENTITY, LOGISTIC, from_lightgbm, from_sklearn, from_xgboost, model_trees
from tree_fixtures import dataset, train


def _raw(kind, model, values):
    if kind.startswith("xgb"):
        import xgboost as xgb
        return model.predict(xgb.DMatrix(values), output_margin=True).reshape(len(values), -1)
    if kind.startswith("lgb"):
        return np.asarray(model.predict(values, raw_score=True)).reshape(len(values), -1)
    if kind in ("gb", "hgb"):
        return model.decision_function(values).reshape(len(values), -1)
    if kind == "ada":
        return 2 * model.decision_function(values).reshape(len(values), -1)
    if kind == "hgb_reg":
        return model.predict(values).reshape(-1, 1)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(values)
    return model.predict(values).reshape(-1, 1)


@pytest.mark.parametrize("kind,link", [("xgb", LOGISTIC), ("xgb_reg", IDENTITY), ("lgb", LOGISTIC),
                                       ("lgb_reg", IDENTITY), ("rf", IDENTITY), ("rf_reg", IDENTITY),
                                       ("et", IDENTITY), ("gb", LOGISTIC), ("gb_reg", IDENTITY), ("dt", IDENTITY),
                                       ("hgb", LOGISTIC), ("hgb_reg", IDENTITY), ("ada", LOGISTIC)])
def test_margins_equal_the_library(kind, link):
    missing = kind.startswith(("xgb", "lgb", "hgb"))  # the other sklearn models here were fitted without NaN
    x, y = dataset(missing=missing)
    model = train(kind, x, y)
    parse = from_xgboost if kind.startswith("xgb") else from_lightgbm if kind.startswith("lgb") else from_sklearn
    ensemble, found = parse(model)
    assert found == link
    test, _ = dataset(300, seed=1, missing=missing)
    values = test.to_numpy()
    expected = _raw(kind, model, values)
    # XGBoost sums leaves in float32; the others in float64
    tolerance = 1e-5 if kind.startswith("xgb") else 1e-10
    np.testing.assert_allclose(ensemble.margin(values), expected, rtol=0, atol=tolerance)


def test_lightgbm_zero_as_missing_is_followed():
    import lightgbm as lgb

    x, y = dataset(missing=True)
    values = x.to_numpy().copy()
    values[::7, 0] = 0.0
    model = lgb.train({"objective": "binary", "num_leaves": 8, "verbose": -1, "zero_as_missing": True,
                       "min_data_in_leaf": 5}, lgb.Dataset(values, label=y), 10)
    ensemble, _ = from_lightgbm(model)
    assert any(t.missing is not None and (t.missing == 2).any() for t in ensemble.trees)
    np.testing.assert_allclose(ensemble.margin(values)[:, 0], model.predict(values, raw_score=True), atol=1e-12)


def test_a_pipeline_with_a_preprocessing_step_is_not_a_tree_model():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = dataset()
    pipeline = make_pipeline(StandardScaler(), train("rf", x, y)).fit(x.to_numpy(), y)
    with pytest.raises(UnsupportedModel, match="steps before its model"):
        model_trees("sklearn", pipeline)


def test_sources_name_the_margin_behind_each_probability_column():
    x, y = dataset()
    assert model_trees("xgboost", train("xgb", x, y)).proba_sources == (None, (0, LOGISTIC))
    assert model_trees("sklearn", train("rf", x, y)).proba_sources == ((0, IDENTITY), (1, IDENTITY))
    assert model_trees("sklearn", train("gb_reg", x, y)).label_source == (0, IDENTITY)
