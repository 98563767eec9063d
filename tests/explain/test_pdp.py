"""Partial dependence: hand-checkable grids and predictions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.errors import DataError
from analyzer.explain import partial_dependence
from analyzer.explain.pdp import grid


def test_bucket_centres_match_the_aws_example():
    age = pd.Series([19, 75, 30, 40, 41, 74], name="Age")
    values, dist = grid(age, 20, categorical=False)
    np.testing.assert_allclose(values, np.arange(20.4, 75, 2.8))
    assert values[0] == pytest.approx(20.4) and values[-1] == pytest.approx(73.6)
    # 19 -> bucket 0; 30 -> 3; 40, 41 -> 7; 74, 75 -> 19 (the last bucket is closed)
    expected = np.zeros(20)
    expected[[0, 3, 19]] = [1, 1, 2]
    expected[7] = 2
    np.testing.assert_allclose(dist, expected / 6)


def test_linear_model_gives_exact_slope_and_one_call():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.uniform(0, 10, 50), "b": rng.integers(0, 3, 50)})
    calls = []

    def predict(f):
        calls.append(len(f))
        return np.column_stack([2 * f["a"] + f["b"], -f["a"]])

    entry = partial_dependence(predict, frame, "a", grid_resolution=5, label_headers=["up", "down"])
    assert calls == [250]
    assert entry["data_type"] == "numerical" and entry["label_headers"] == ["up", "down"]
    x = np.array(entry["feature_values"])
    up, down = map(np.array, entry["model_predictions"])
    np.testing.assert_allclose(up, 2 * x + frame["b"].mean())
    np.testing.assert_allclose(down, -x)
    np.testing.assert_allclose(sum(entry["data_distribution"]), 1.0)
    assert list(entry) == ["feature_name", "data_type", "feature_values", "data_distribution",
                           "model_predictions", "label_headers"]
    calls.clear()
    partial_dependence(predict, frame, "a", grid_resolution=5, max_rows_per_call=100)
    assert calls == [100, 100, 50]


def test_categorical_values_sorted_with_fractions():
    frame = pd.DataFrame({"colour": pd.Series(["red", "blue", "red", "green"], dtype="str"),
                          "n": [1.0, 2.0, 3.0, 4.0]})
    bonus = {"red": 1.0, "blue": 2.0, "green": 3.0}

    def predict(f):
        assert f["colour"].dtype == frame["colour"].dtype
        return f["colour"].map(bonus).to_numpy(float) + f["n"].to_numpy()

    entry = partial_dependence(predict, frame, "colour")
    assert entry["data_type"] == "categorical"
    assert entry["feature_values"] == ["blue", "green", "red"]
    assert entry["data_distribution"] == [0.25, 0.25, 0.5]
    np.testing.assert_allclose(entry["model_predictions"], [[4.5, 5.5, 3.5]])
    assert entry["label_headers"] == ["label0"]
    # an int column can be declared categorical
    ints = partial_dependence(lambda f: f["n"].to_numpy(), frame, "n", categorical=True)
    assert ints["feature_values"] == [1.0, 2.0, 3.0, 4.0]


def test_constant_and_unknown_features():
    frame = pd.DataFrame({"a": [3.0, 3.0]})
    entry = partial_dependence(lambda f: f["a"].to_numpy(), frame, "a")
    assert entry["feature_values"] == [3.0] and entry["data_distribution"] == [1.0]
    with pytest.raises(DataError, match="'z' is not a feature"):
        partial_dependence(lambda f: f["a"].to_numpy(), frame, "z")
