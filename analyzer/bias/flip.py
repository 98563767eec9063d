"""FlipTest's k-nearest-neighbour step, exact to scikit-learn and fast on millions of rows.

Clarify (smclarify) fits ``KNeighborsClassifier(n_neighbors=5 if n_a > 9 else 1,
weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski")`` on the ``a``
rows with the model's predicted labels as targets, and predicts the ``d`` rows. The only way
two exact k-NN searches can disagree is a tie at the k-th distance: then which of the tied
points the search keeps depends on its tree. So:

* small inputs, many features, or non-finite values go straight to scikit-learn, which is
  then exactly what Clarify runs (including its error messages);
* otherwise scipy's ``cKDTree`` (parallel, about 10x faster to build and query than
  scikit-learn's KD tree at 10M rows, measured in ``bench/bias.py``) finds k + 1 neighbours.
  We recompute the squared distances the way scikit-learn does (sum over features of the
  squared difference, in feature order) and accept a query only when its (k+1)-th distance
  exceeds its k-th by a relative margin of 1e-9, far above any rounding difference between
  the two libraries. Then the k-neighbour set is unique, so every exact search, scikit-learn's
  included, returns it, and the majority vote is the same;
* queries that fail that test (distance ties, e.g. duplicate points) are re-run through
  scikit-learn's classifier fit on all ``a`` rows, so their answer is scikit-learn's.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from analyzer.bias.groups import divide

logger = logging.getLogger("analyzer.bias")

#: Below this many ``a`` rows scikit-learn alone is fast enough (well under a second).
SKLEARN_ONLY_BELOW = 20_000
#: cKDTree pays off only in low dimension; above this, use scikit-learn.
MAX_TREE_FEATURES = 8
#: Relative gap between the k-th and (k+1)-th squared distance that makes the set unique.
TIE_MARGIN = 1e-9
#: Values of the extension key ``methods.post_training_bias.ft_encoding``.
FT_ENCODINGS = ("one_hot", "ordinal")
#: Largest encoded matrix FT builds (float64 bytes): one-hot on an ID-like column would not fit.
MAX_ENCODED_BYTES = 2 * 1024**3


def _sklearn_classifier(x_a: np.ndarray, y_a: np.ndarray, k: int):
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(
        n_neighbors=k, weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski"
    )
    return knn.fit(x_a, y_a)


def knn_predict(x_a: np.ndarray, y_a: np.ndarray, x_d: np.ndarray, k: int) -> np.ndarray:
    """Predict boolean labels of ``x_d`` from the ``k`` nearest ``x_a`` rows (majority vote).

    Gives exactly scikit-learn's ``KNeighborsClassifier(k, algorithm="auto").predict``.
    """
    n_a = x_a.shape[0]
    simple = (
        n_a < SKLEARN_ONLY_BELOW
        or x_a.ndim != 2
        or x_a.shape[1] == 0
        or x_a.shape[1] > MAX_TREE_FEATURES
        or x_a.dtype.kind not in "biuf"
        or n_a <= k
    )
    if not simple:
        fa, fd = x_a.astype(np.float64, copy=False), x_d.astype(np.float64, copy=False)
        simple = not (np.isfinite(fa).all() and np.isfinite(fd).all())
    if simple:
        # The arrays go in exactly as Clarify passes them (same dtype), so this is its result.
        return np.asarray(_sklearn_classifier(x_a, y_a, k).predict(x_d), dtype=bool)
    x_a, x_d = fa, fd

    from scipy.spatial import cKDTree

    tree = cKDTree(x_a, leafsize=16, balanced_tree=False, compact_nodes=False)
    _, idx = tree.query(x_d, k=k + 1, workers=-1)
    # Squared distances in scikit-learn's order of operations: ((x0-y0)^2 + (x1-y1)^2) + ...
    dist = np.zeros(idx.shape, dtype=np.float64)
    for j in range(x_a.shape[1]):  # loop over features (a handful), not rows
        diff = x_a[idx, j] - x_d[:, j, None]
        dist += diff * diff
    kth = dist[:, :k].max(axis=1)
    unique = dist[:, k] > kth * (1 + TIE_MARGIN)
    votes = y_a[idx[:, :k]].sum(axis=1)
    result = votes * 2 > k
    ambiguous = np.flatnonzero(~unique)
    if ambiguous.size:
        logger.info(
            "FlipTest: %d of %d queries have a distance tie at the %d-th neighbour; "
            "resolving them with scikit-learn's search", ambiguous.size, x_d.shape[0], k
        )
        knn = _sklearn_classifier(x_a, y_a, k)
        result[ambiguous] = np.asarray(knn.predict(x_d[ambiguous]), dtype=bool)
    return result


def flip_test(features: np.ndarray, facet: np.ndarray, pred: np.ndarray) -> float:
    """FT = (#{d: model 1, kNN 0} - #{d: model 0, kNN 1}) / n_d.

    ``features`` has one row per data row; ``facet`` marks d; ``pred`` is the model's
    positive-prediction mask. k = 5 if n_a > 9 else 1. Both groups must be non-empty.
    """
    x_a, x_d = features[~facet], features[facet]
    y_a, y_d = pred[~facet], pred[facet]
    k = 5 if x_a.shape[0] > 9 else 1
    logger.info("FlipTest: %d-NN of %d rows among %d, %d features", k, x_d.shape[0], x_a.shape[0], x_a.shape[1])
    knn = knn_predict(x_a, y_a, x_d, k)
    flips_pos = int(np.count_nonzero(y_d & ~knn))
    flips_neg = int(np.count_nonzero(~y_d & knn))
    return float(divide(flips_pos - flips_neg, x_d.shape[0]))


def encoded_features(frame: pd.DataFrame, encoding: str) -> np.ndarray:
    """FlipTest's feature matrix with non-numeric columns encoded (extension ``ft_encoding``).

    Clarify refuses non-numeric columns ("FlipTest does not support non-numeric columns"); with
    the extension they are encoded, in place (frame order kept), over the distinct values of the
    whole frame (``a`` and ``d`` alike), sorted as text:

    * ``one_hot``: one 0/1 column per distinct value; a missing value is all zeros;
    * ``ordinal``: the value's position among the sorted distinct values; missing is -1.

    Numeric and bool columns are used as they are (as float64; NaN there still fails in the
    k-NN, as in Clarify). The k-NN itself is unchanged: unscaled Euclidean distances.
    """
    if encoding not in FT_ENCODINGS:
        raise ValueError(f"unknown ft_encoding {encoding!r}; expected one of {list(FT_ENCODINGS)}")
    numeric = set(frame.select_dtypes([np.number, bool]).columns)
    factorised = {}
    for position, name in enumerate(frame.columns):
        if name not in numeric:   # as text, so mixed types sort; NaN stays missing (code -1)
            series = frame.iloc[:, position]
            factorised[position] = pd.factorize(series.astype(object).map(str, na_action="ignore"), sort=True)
    width = len(frame.columns) - len(factorised)
    width += sum(len(u) if encoding == "one_hot" else 1 for _, u in factorised.values())
    if len(frame) * width * 8 > MAX_ENCODED_BYTES:
        raise ValueError(f"ft_encoding {encoding}: the encoded features would be {len(frame)} rows x {width} "
                         f"columns (over {MAX_ENCODED_BYTES // 1024**3} GiB); use ordinal or exclude "
                         "high-cardinality columns")
    blocks = []
    for position in range(len(frame.columns)):
        if position not in factorised:
            blocks.append(frame.iloc[:, position].to_numpy(dtype=np.float64, na_value=np.nan)[:, None])
            continue
        codes, uniques = factorised[position]
        if encoding == "ordinal":
            blocks.append(codes.astype(np.float64)[:, None])
            continue
        onehot = np.zeros((len(codes), len(uniques)), dtype=np.float64)
        present = codes >= 0
        onehot[np.flatnonzero(present), codes[present]] = 1.0
        blocks.append(onehot)
    if not blocks:
        return np.empty((len(frame), 0), dtype=np.float64)
    return np.hstack(blocks)
