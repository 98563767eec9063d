"""FlipTest's k-nearest-neighbour step, exact to scikit-learn and fast on millions of rows.

Clarify (smclarify) fits ``KNeighborsClassifier(n_neighbors=5 if n_a > 9 else 1,
weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski")`` on the ``a``
rows with the model's predicted labels as targets, and predicts the ``d`` rows. The only way
two exact k-NN searches can disagree is a tie at the k-th distance: then which of the tied
points the search keeps depends on its tree. So:

* non-finite or non-numeric values, or ``n_a <= k``, go straight to scikit-learn, which is
  then exactly what Clarify runs (including its error messages);
* low dimension and many rows: scipy's ``cKDTree`` (parallel, about 10x faster to build and
  query than scikit-learn's KD tree at 10M rows, measured in ``bench/bias.py``) finds k + 1
  neighbours. We recompute the squared distances the way scikit-learn does (sum over features
  of the squared difference, in feature order) and accept a query only when its (k+1)-th
  distance exceeds its k-th by a relative margin of 1e-9, far above any rounding difference
  between the two libraries. Then the k-neighbour set is unique, so every exact search,
  scikit-learn's included, returns it, and the majority vote is the same;
* otherwise (many features, e.g. one-hot encoded, or few rows): blocks of squared distances
  by matrix product (|q|^2 - 2 q.x + |x|^2, BLAS), the k smallest per query by partition, their
  distances recomputed exactly, and the same uniqueness test with the proven rounding bound of
  the matrix-product form (the one scikit-learn's brute search uses) as the margin: a query is
  accepted only when every other point is farther than its k-th neighbour by more than the
  error of either library's distances. This also spares importing scikit-learn (seconds);
* queries that fail that test (distance ties, e.g. duplicate points) are re-run through
  scikit-learn's classifier fit on all ``a`` rows, so their answer is scikit-learn's.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from analyzer.bias.groups import divide

logger = logging.getLogger("analyzer.bias")

#: Below this many ``a`` rows the distance blocks are used at any dimension (no tree to build).
TREE_FROM_ROWS = 20_000
#: cKDTree pays off only in low dimension; above this, the distance blocks.
MAX_TREE_FEATURES = 8
#: Entries of one block of query-to-``a`` distances (float64: 16 MB: the partition step is several
#: times faster on blocks that stay in cache than on one large block).
BLOCK_ENTRIES = 2**21
#: Most feature values (tied queries x a rows x features) settled without scikit-learn.
SETTLE_BUDGET = 2 * 10**9
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
    simple = x_a.ndim != 2 or x_a.shape[1] == 0 or x_a.dtype.kind not in "biuf" or n_a <= k or \
        x_d.ndim != 2 or x_d.dtype.kind not in "biuf"
    if not simple:
        fa, fd = x_a.astype(np.float64, copy=False), x_d.astype(np.float64, copy=False)
        simple = not (np.isfinite(fa).all() and np.isfinite(fd).all())
    if simple:
        # The arrays go in exactly as Clarify passes them (same dtype), so this is its result.
        return np.asarray(_sklearn_classifier(x_a, y_a, k).predict(x_d), dtype=bool)
    if n_a >= TREE_FROM_ROWS and fa.shape[1] <= MAX_TREE_FEATURES:
        result, unique = _tree_search(fa, y_a, fd, k)
        ambiguous = np.flatnonzero(~unique)
    else:
        result, unique, bound = _block_search(fa, y_a, fd, k)
        ambiguous = _settle_ties(fa, y_a, fd, k, np.flatnonzero(~unique), bound, result)
    if ambiguous.size:
        logger.info(
            "FlipTest: %d of %d queries have a distance tie at the %d-th neighbour; "
            "resolving them with scikit-learn's search", ambiguous.size, x_d.shape[0], k
        )
        knn = _sklearn_classifier(fa, y_a, k)
        result[ambiguous] = np.asarray(knn.predict(fd[ambiguous]), dtype=bool)
    return result


def _tree_search(x_a: np.ndarray, y_a: np.ndarray, x_d: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(votes, unique-neighbour-set mask) by cKDTree."""
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
    return y_a[idx[:, :k]].sum(axis=1) * 2 > k, unique


def _block_search(x_a: np.ndarray, y_a: np.ndarray, x_d: np.ndarray,
                  k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(votes, unique-neighbour-set mask, error bound per query) from blocks of distances by matrix product.

    For j outside the k nearest set S by the computed distances a, the exact distance is at
    least a_(k+1) - E, where E bounds the rounding of |q|^2 - 2 q.x + |x|^2: each of the three
    terms is a sum of d products, off by at most gamma_d times the sum of |products|, so
    E <= (2 gamma_d + 6 eps) (|q|^2 + |x|^2); we use twice that. scikit-learn's own distances
    are off by E at most (its brute search computes the same form; its trees sum differences,
    which is more exact). So when a_(k+1) - 3E exceeds the exact k-th distance in S (with the
    relative TIE_MARGIN for our recomputation), S is the unique nearest set for both.
    """
    n_a, width = x_a.shape
    eps = np.finfo(np.float64).eps
    gamma = width * eps / (1 - width * eps)
    sq_a, sq_d = np.einsum("ij,ij->i", x_a, x_a), np.einsum("ij,ij->i", x_d, x_d)
    bound = 2 * (2 * gamma + 6 * eps) * (sq_d + sq_a.max())
    votes = np.empty(len(x_d), dtype=bool)
    unique = np.empty(len(x_d), dtype=bool)
    step = max(1, BLOCK_ENTRIES // n_a)
    columns = np.ascontiguousarray(-2 * x_a.T)   # -2 x, laid out as BLAS reads it fastest (exact: a power of 2)
    for start in range(0, len(x_d), step):
        rows = slice(start, start + step)
        query = x_d[rows]
        approx = query @ columns     # |q|^2 is the same for a whole row: added to the one value needed below
        approx += sq_a[None, :]
        order = np.argpartition(approx, k, axis=1)
        nearest = order[:, :k]
        following = np.take_along_axis(approx, order[:, k:k + 1], axis=1)[:, 0] + sq_d[rows]
        diff = x_a[nearest] - query[:, None, :]
        exact = np.einsum("qkf,qkf->qk", diff, diff).max(axis=1)
        unique[rows] = following - 3 * bound[rows] > exact * (1 + TIE_MARGIN)
        votes[rows] = y_a[nearest].sum(axis=1) * 2 > k
    return votes, unique, bound


def _settle_ties(x_a: np.ndarray, y_a: np.ndarray, x_d: np.ndarray, k: int, ambiguous: np.ndarray,
                 bound: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Decide tied queries whose vote does not depend on which tied points a search keeps; return
    the rest (for scikit-learn).

    With exact distances e and D the k-th smallest, any search whose distances are within E of e
    keeps every point with e < D - 2E and none with e > D + 2E; it picks the remaining r of its k
    among the band between. When the fewest and the most positive picks the band allows give the
    same majority, that is the answer of every such search, scikit-learn's included.
    """
    if not ambiguous.size or ambiguous.size * x_a.size > SETTLE_BUDGET:
        return ambiguous
    left = []
    for query in ambiguous:
        diff = x_a - x_d[query]
        exact = np.einsum("ij,ij->i", diff, diff)
        kth = np.partition(exact, k - 1)[k - 1]
        slack = 2 * bound[query] + kth * TIE_MARGIN
        inside, band = exact < kth - slack, np.abs(exact - kth) <= slack
        picks = k - int(inside.sum())
        band_pos = int(np.count_nonzero(y_a[band]))
        base = int(np.count_nonzero(y_a[inside]))
        fewest = base + max(0, picks - (int(band.sum()) - band_pos))
        most = base + min(picks, band_pos)
        if (fewest * 2 > k) == (most * 2 > k):
            result[query] = most * 2 > k
        else:
            left.append(query)
    return np.asarray(left, dtype=np.intp)


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
