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
    monkeypatch.setattr(flip, "TREE_FROM_ROWS", 0)


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


def _one_hot(rng, n, widths):
    return np.hstack([np.eye(w)[rng.integers(0, w, n)] for w in widths])


@pytest.mark.parametrize("case", ["continuous", "one_hot_ties", "one_hot_and_large_integers", "tiny_k1"])
def test_block_search_equals_sklearn_at_many_features(case):
    """Many features (sklearn: brute force) and few rows: the distance blocks, exact to sklearn."""
    rng = np.random.default_rng({"continuous": 1, "one_hot_ties": 2, "one_hot_and_large_integers": 3,
                                 "tiny_k1": 4}[case])
    n_a, n_d = (9, 6) if case == "tiny_k1" else (1500, 700)
    if case == "continuous":
        x = rng.normal(size=(n_a + n_d, 40)) * rng.uniform(0.1, 1e3, 40)
    elif case == "one_hot_ties":   # few distinct rows: most queries tie at the k-th distance
        x = _one_hot(rng, n_a + n_d, [2, 3, 2])
    else:   # Adult-like: one-hot blocks plus an fnlwgt-sized integer column and small integers
        x = np.hstack([_one_hot(rng, n_a + n_d, [7, 16, 7, 14]), rng.integers(0, 100, (n_a + n_d, 3)),
                       rng.integers(10_000, 1_500_000, (n_a + n_d, 1))]).astype(float)
    x_a, x_d = x[:n_a], x[n_a:]
    y_a = rng.random(n_a) < 0.4
    k = 1 if case == "tiny_k1" else 5
    assert flip.knn_predict(x_a, y_a, x_d, k).tolist() == sklearn_predict(x_a, y_a, x_d, k).astype(bool).tolist()


def test_block_search_needs_no_sklearn_without_ties(monkeypatch):
    rng = np.random.default_rng(5)
    x_a, x_d = rng.normal(size=(800, 30)), rng.normal(size=(300, 30))
    y_a = rng.random(800) < 0.5
    expected = sklearn_predict(x_a, y_a, x_d, 5).astype(bool).tolist()
    monkeypatch.setattr(flip, "_sklearn_classifier", lambda *_: pytest.fail("no tie: sklearn is not needed"))
    monkeypatch.setattr(flip, "BLOCK_ENTRIES", 800 * 7)    # several blocks of queries
    assert flip.knn_predict(x_a, y_a, x_d, 5).tolist() == expected


def test_ties_in_blocks_are_sent_to_sklearn(monkeypatch):
    x_a = np.array([[0.0, 0], [0, 2], [2, 0], [0, -2], [-2, 0], [5, 5], [6, 6], [7, 7], [8, 8], [9, 9], [9, 8]])
    y_a = np.array([1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1], dtype=bool)
    x_d = np.array([[0.0, 0.0], [8.1, 8.0]])   # each has one nearest point: no tie at k = 1
    calls = []
    real = flip._sklearn_classifier

    def spy(a, y, k):
        calls.append(len(a))
        return real(a, y, k)

    monkeypatch.setattr(flip, "_sklearn_classifier", spy)
    assert flip.knn_predict(x_a, y_a, x_d, 1).tolist() == sklearn_predict(x_a, y_a, x_d, 1).astype(bool).tolist()
    assert calls == []
    x_d = np.array([[1.0, 1.0]])      # four a rows at the same distance: k = 1 is a tie
    assert flip.knn_predict(x_a, y_a, x_d, 1).tolist() == sklearn_predict(x_a, y_a, x_d, 1).astype(bool).tolist()
    assert calls == [11]


def test_ties_whose_vote_cannot_change_are_settled_without_sklearn(monkeypatch):
    """Duplicate rows with equal predictions (as from a model): most ties cannot change the vote."""
    rng = np.random.default_rng(11)
    x = np.hstack([_one_hot(rng, 3000, [3, 4, 2]), rng.integers(0, 3, (3000, 14))]).astype(float)
    y = (x[:, 0] + x[:, 9] + x[:, -1]) >= 2            # a function of the features
    x_a, y_a, x_d = x[:2000], y[:2000], x[2000:]
    asked = []
    real = flip._sklearn_classifier

    class Spy:
        def __init__(self, model):
            self.model = model

        def predict(self, rows):
            asked.append(len(rows))
            return self.model.predict(rows)

    monkeypatch.setattr(flip, "_sklearn_classifier", lambda a, y_, k: Spy(real(a, y_, k)))
    _, unique, _ = flip._block_search(x_a, y_a, x_d, 5)
    tied = int((~unique).sum())
    assert flip.knn_predict(x_a, y_a, x_d, 5).tolist() == sklearn_predict(x_a, y_a, x_d, 5).astype(bool).tolist()
    assert tied > 100 and sum(asked) < tied / 2
