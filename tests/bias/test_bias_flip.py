"""The fast FlipTest kNN gives scikit-learn's exact answer, ties included."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from analyzer.bias import flip


def sklearn_predict(x_a, y_a, x_d, k):
    knn = KNeighborsClassifier(n_neighbors=k, weights="uniform", algorithm="auto", leaf_size=30, p=2,
                               metric="minkowski")
    return knn.fit(x_a, y_a).predict(x_d)


@pytest.fixture
def force_fast_path(monkeypatch):
    monkeypatch.setattr(flip, "SKLEARN_ONLY_BELOW", 0)


@pytest.mark.parametrize("discrete", [False, True])
def test_fast_path_equals_sklearn(force_fast_path, discrete):
    rng = np.random.default_rng(7)
    n_a, n_d = 3000, 800
    if discrete:  # many exact distance ties: the tie fallback must give sklearn's answer
        x_a = rng.integers(0, 6, (n_a, 2)).astype(float)
        x_d = rng.integers(0, 6, (n_d, 2)).astype(float)
    else:
        x_a = np.column_stack([rng.random(n_a), rng.integers(0, 20, n_a)])
        x_d = np.column_stack([rng.random(n_d), rng.integers(0, 20, n_d)])
    y_a = rng.random(n_a) < 0.4
    ours = flip.knn_predict(x_a, y_a, x_d, 5)
    assert ours.tolist() == sklearn_predict(x_a, y_a, x_d, 5).tolist()


def test_integer_features_take_the_same_path(force_fast_path):
    rng = np.random.default_rng(3)
    x_a = rng.integers(0, 1000, (2000, 3))
    x_d = rng.integers(0, 1000, (500, 3))
    y_a = rng.random(2000) < 0.5
    assert flip.knn_predict(x_a, y_a, x_d, 5).tolist() == sklearn_predict(x_a, y_a, x_d, 5).tolist()


def test_flip_test_counts():
    # k = 1 (n_a = 2): a at 0 (pred 0) and 10 (pred 1). d: 1 (model 1, kNN 0: +1), 9 (model 1, kNN 1),
    # 8 (model 0, kNN 1: -1), 2 (model 1, kNN 0: +1) -> FT = (2 - 1) / 4
    features = np.array([[0.0], [10.0], [1.0], [9.0], [8.0], [2.0]])
    facet = np.array([0, 0, 1, 1, 1, 1], dtype=bool)
    pred = np.array([0, 1, 1, 1, 0, 1], dtype=bool)
    assert flip.flip_test(features, facet, pred) == 0.25
