"""SHAP baselines: the automatic one (K-means / K-prototypes) and in-place lists from the config.

Automatic baseline
------------------
- Numeric columns are standardised (z-scores; constant columns left at 0) for the fit, so a
  column like ``fnlwgt`` (1e5) does not outweigh ``Age``.
- All columns numeric: K-means (scikit-learn, k-means++, ``n_init=4``, ``random_state=seed``).
  Any non-numeric column: K-prototypes (Huang 1998): squared Euclidean distance on the
  standardised numeric columns plus ``gamma`` times the number of categorical mismatches
  (``gamma = 0.5``, i.e. half the unit variance of a standardised column), centres = means and
  modes, k-means++-style seeding on that dissimilarity, at most 100 iterations, best of 4 starts.
- Fitting uses at most ``FIT_ROWS`` (20,000) rows, a seeded uniform sample; every row is then
  assigned to its nearest centre to get the weights (cluster sizes / n). Empty clusters are dropped.
- Centres are snapped per column to the nearest observed value (categorical: the mode already is
  one), like ``shap.kmeans``, so one-hot and categorical columns stay valid and fewer features
  differ from the baseline.
- ``num_clusters`` unset: fit k = 1..12 on at most ``SELECT_ROWS`` (5,000) sampled rows and pick
  the elbow of the cost curve: the k farthest below the straight line from (1, cost_1) to
  (12, cost_12) (costs scaled by cost_1). The curve and the choice are logged.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzer.errors import ConfigError, DataError
from analyzer.formats import CSV, FORMATS, find_format

log = logging.getLogger(__name__)

FIT_ROWS = 20_000
SELECT_ROWS = 5_000
MAX_AUTO_CLUSTERS = 12
GAMMA = 0.5
N_INIT = 4


@dataclass(frozen=True)
class Baseline:
    """Baseline rows (feature columns, dataset dtypes) and their weights (sum 1)."""

    rows: pd.DataFrame
    weights: np.ndarray


def _numeric_columns(frame: pd.DataFrame) -> list[bool]:
    return [
        isinstance(frame[c].dtype, np.dtype) and frame[c].dtype.kind in "iuf" for c in frame.columns
    ]


class _Prepared:
    """The frame as standardised numbers plus categorical codes."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.numeric = _numeric_columns(frame)
        num_cols = [c for c, is_num in zip(frame.columns, self.numeric) if is_num]
        cat_cols = [c for c, is_num in zip(frame.columns, self.numeric) if not is_num]
        num = frame[num_cols].to_numpy(dtype=float) if num_cols else np.zeros((len(frame), 0))
        if np.isnan(num).any():
            means = np.nanmean(num, axis=0)
            num = np.where(np.isnan(num), np.where(np.isnan(means), 0.0, means), num)
        self.mean = num.mean(axis=0) if len(num) else np.zeros(num.shape[1])
        std = num.std(axis=0) if len(num) else np.ones(num.shape[1])
        self.std = np.where(std > 0, std, 1.0)
        self.num = (num - self.mean) / self.std
        self.raw_num = num
        codes = []
        self.cat_values = []
        for c in cat_cols:
            code, values = pd.factorize(frame[c], use_na_sentinel=False)
            codes.append(code)
            self.cat_values.append(values)
        self.cat = np.column_stack(codes) if codes else np.zeros((len(frame), 0), dtype=np.intp)
        self.num_cols, self.cat_cols = num_cols, cat_cols


def _dissimilarity(prep: _Prepared, rows: np.ndarray, num_c: np.ndarray, cat_c: np.ndarray) -> np.ndarray:
    x = prep.num[rows]
    d = (x**2).sum(1)[:, None] - 2 * x @ num_c.T + (num_c**2).sum(1)[None, :]
    d = np.maximum(d, 0.0)
    if cat_c.shape[1]:
        cats = prep.cat[rows]
        for k in range(len(cat_c)):
            d[:, k] += GAMMA * (cats != cat_c[k]).sum(axis=1)
    return d


def _kprototypes(prep: _Prepared, rows: np.ndarray, k: int, rng: np.random.Generator):
    """Lloyd iterations for K-prototypes; returns (numeric centres, categorical modes, cost)."""
    first = rows[rng.integers(len(rows))]
    num_c = prep.num[[first]]
    cat_c = prep.cat[[first]]
    for _ in range(1, k):  # k-means++ seeding on the mixed dissimilarity
        dist = _dissimilarity(prep, rows, num_c, cat_c).min(axis=1)
        total = dist.sum()
        pick = rows[rng.choice(len(rows), p=dist / total)] if total > 0 else rows[rng.integers(len(rows))]
        num_c = np.vstack([num_c, prep.num[pick]])
        cat_c = np.vstack([cat_c, prep.cat[pick]])
    labels = None
    for _ in range(100):
        dist = _dissimilarity(prep, rows, num_c, cat_c)
        new = dist.argmin(axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            members = rows[labels == c]
            if len(members) == 0:
                continue
            num_c[c] = prep.num[members].mean(axis=0)
            for j in range(prep.cat.shape[1]):
                cat_c[c, j] = np.bincount(prep.cat[members, j]).argmax()
    cost = float(_dissimilarity(prep, rows, num_c, cat_c).min(axis=1).sum())
    return num_c, cat_c, cost


def _fit(prep: _Prepared, rows: np.ndarray, k: int, seed: int):
    if prep.cat.shape[1] == 0:
        from sklearn.cluster import KMeans   # ~1 s to import: only jobs that cluster pay it

        km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(prep.num[rows])
        return km.cluster_centers_, np.zeros((k, 0), dtype=np.intp), float(km.inertia_)
    rng = np.random.default_rng(seed)
    fits = [_kprototypes(prep, rows, k, rng) for _ in range(N_INIT)]
    return min(fits, key=lambda fit: fit[2])  # first of the cheapest: deterministic


def choose_num_clusters(costs: Sequence[float]) -> int:
    """Elbow of a cost curve for k = 1..len(costs): farthest below the chord from first to last."""
    c = np.asarray(costs, dtype=float)
    if len(c) < 3 or c[0] <= 0:
        return 1
    ks = np.arange(1, len(c) + 1, dtype=float)
    y = c / c[0]
    chord = y[0] + (y[-1] - y[0]) * (ks - 1) / (ks[-1] - 1)
    gap = chord - y
    return int(ks[np.argmax(gap)]) if gap.max() > 0 else 1


def auto_baseline(
    frame: pd.DataFrame,
    num_clusters: int | None = None,
    seed: int | None = None,
) -> Baseline:
    """Cluster ``frame`` (feature columns) into a weighted baseline (see the module docstring)."""
    if len(frame) == 0:
        raise DataError("Cannot compute a SHAP baseline from an empty dataset.")
    if num_clusters is not None and num_clusters < 1:
        raise ConfigError(f"methods.shap.num_clusters must be a positive integer; got {num_clusters}.")
    seed = 0 if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    prep = _Prepared(frame)
    n = len(frame)
    n_distinct = len(frame.drop_duplicates())
    if num_clusters is None:
        sample = np.sort(rng.choice(n, min(n, SELECT_ROWS), replace=False))
        top = min(MAX_AUTO_CLUSTERS, n_distinct, len(sample))
        costs = [_fit(prep, sample, k, seed)[2] for k in range(1, top + 1)]
        k = choose_num_clusters(costs)
        log.info("SHAP baseline: K-%s costs for k=1..%d on %d rows: %s; chose %d clusters (elbow).",
                 "prototypes" if prep.cat.shape[1] else "means", top, len(sample),
                 [round(c, 1) for c in costs], k)
    else:
        k = min(num_clusters, n_distinct)
        if k < num_clusters:
            log.warning("SHAP baseline: only %d distinct rows; using %d clusters instead of %d.",
                        n_distinct, k, num_clusters)
    fit_rows = np.sort(rng.choice(n, min(n, FIT_ROWS), replace=False))
    num_c, cat_c, _ = _fit(prep, fit_rows, k, seed)
    labels = np.empty(n, dtype=np.intp)
    for start in range(0, n, 50_000):
        part = np.arange(start, min(n, start + 50_000))
        labels[part] = _dissimilarity(prep, part, num_c, cat_c).argmin(axis=1)
    sizes = np.bincount(labels, minlength=k)
    keep = np.flatnonzero(sizes > 0)
    if len(keep) < k:
        log.warning("SHAP baseline: %d of %d clusters are empty and were dropped.", k - len(keep), k)
    return Baseline(_snap(frame, prep, num_c[keep], cat_c[keep]), sizes[keep] / n)


def _snap(frame: pd.DataFrame, prep: _Prepared, num_c: np.ndarray, cat_c: np.ndarray) -> pd.DataFrame:
    centres = num_c * prep.std + prep.mean
    data: dict[str, Any] = {}
    num_i = cat_i = 0
    for col, is_num in zip(frame.columns, prep.numeric):
        if is_num:
            observed = np.unique(prep.raw_num[:, num_i])
            pos = np.clip(np.searchsorted(observed, centres[:, num_i]), 1, max(1, len(observed) - 1))
            lo = observed[pos - 1]
            hi = observed[np.minimum(pos, len(observed) - 1)]
            target = centres[:, num_i]
            snapped = np.where(np.abs(target - lo) <= np.abs(hi - target), lo, hi)
            data[col] = pd.Series(snapped).astype(frame[col].dtype).to_numpy()
            num_i += 1
        else:
            values = prep.cat_values[cat_i]
            data[col] = pd.Series(values.take(cat_c[:, cat_i]), dtype=frame[col].dtype).array
            cat_i += 1
    return pd.DataFrame(data, columns=frame.columns)


# ---------------------------------------------------------------------------------------------
# In-place baselines from methods.shap.baseline

MSG_ROW_LENGTH = (
    "methods.shap.baseline row {row} has {got} values; expected {expected} (one per feature: "
    "{features}; no label column)."
)


def parse_baseline(
    baseline: Any,
    dataset: pd.DataFrame,
    *,
    dataset_type: str = CSV,
    features: str | None = None,
) -> pd.DataFrame:
    """Turn ``methods.shap.baseline`` (in-place form, or rows read from a baseline file) into a frame
    shaped like ``dataset``.

    Parameters
    ----------
    baseline : list or dict or str
        In the dataset's format, as its entry in :data:`analyzer.formats.FORMATS` reads it:
        ``text/csv`` / ``application/x-parquet``: list of rows (lists of feature values).
        ``application/jsonlines``: list of JSON objects (or JSON strings), ``features`` JMESPath
        applied to each. ``application/json``: the document (or its JSON text); ``features``
        applied once must give a list of rows.
    dataset : DataFrame
        Feature columns of the dataset; names and dtypes are copied.
    features : str, optional
        The config's ``features`` JMESPath (required for JSON Lines and JSON).
    """
    found = find_format(dataset_type)
    if found is None:
        raise ConfigError(
            f"A SHAP baseline cannot be read for dataset_type {dataset_type!r}; supported: "
            f"{', '.join(FORMATS)}."
        )
    if found.needs_features and not features:
        raise ConfigError(
            f"The 'features' JMESPath is required to read a SHAP baseline for dataset_type {found.content_type}."
        )
    rows = found.inline_rows(baseline, features)
    if not rows:
        raise DataError("methods.shap.baseline is empty; give at least one row.")
    names = list(dataset.columns)
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise DataError(MSG_ROW_LENGTH.format(row=i, got=len(row), expected=len(names),
                                                  features=names))
    return coerce_to(pd.DataFrame(rows, columns=names), dataset, source="methods.shap.baseline")


def coerce_to(frame: pd.DataFrame, dataset: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Cast each column of ``frame`` to the dtype of the same column in ``dataset``."""
    out = {}
    for col in dataset.columns:
        dtype = dataset[col].dtype
        values = frame[col]
        try:
            if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
                num = pd.to_numeric(values, errors="raise")
                if dtype.kind in "iu" and not np.all(np.mod(num.to_numpy(dtype=float), 1) == 0):
                    dtype = np.dtype(float)  # keep fractional values (e.g. a mean baseline)
                out[col] = num.astype(dtype)
            else:
                out[col] = values.map(lambda v: v if v is None else str(v)).astype(dtype)
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"{source}: column {col!r} has a value that cannot be read as {dtype}: {exc}."
            ) from exc
    return pd.DataFrame(out, columns=dataset.columns)
