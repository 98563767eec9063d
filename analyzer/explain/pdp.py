"""Partial dependence (Clarify ``methods.pdp``), one batched model call per feature.

- Numerical feature: ``grid_resolution`` equal-width buckets over ``[min, max]`` of the non-missing
  values; ``feature_values`` are the bucket centres (Age over [19, 75], grid 20 -> 20.4, 23.2, ...,
  73.6 as in the AWS docs), ``data_distribution`` the fraction of rows per bucket (the last bucket
  is closed; missing values count in no bucket). An integer column forced to a centre such as 20.4
  is sent to the model as float, like the values in Clarify's output. A constant column gives one
  value with fraction 1.
- Categorical feature (any non-numeric column, bool, or a name in ``categorical``): the observed
  unique values in sorted order (by their text when the values are not mutually comparable),
  with the fraction of rows holding each.
- ``model_predictions``: one list per model output, the mean prediction over all rows with the
  feature forced to each value. All values x rows go to ``predict`` as one frame, split only by
  ``max_rows_per_call``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analyzer.errors import DataError
from analyzer.formats import score_names

Predict = Callable[[pd.DataFrame], np.ndarray]


def is_categorical(series: pd.Series) -> bool:
    dtype = series.dtype
    return not (isinstance(dtype, np.dtype) and dtype.kind in "iuf")


def _to_builtin(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def grid(series: pd.Series, grid_resolution: int, categorical: bool) -> tuple[list, list[float]]:
    """(feature_values, data_distribution) for one feature."""
    n = len(series)
    if categorical:
        return categorical_grid(series.value_counts(dropna=True, sort=False), n)
    x = series.to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        raise no_values(series.name)
    lo, hi = float(x.min()), float(x.max())
    edges = numeric_edges(lo, hi, grid_resolution)
    if edges is None:
        return [lo], [len(x) / n]
    return numeric_grid(edges, bucket_counts(x, edges), n)


def no_values(feature: object) -> DataError:
    return DataError(f"PDP: feature {feature!r} has no non-missing values.")


def categorical_grid(counts: pd.Series, n: int) -> tuple[list, list[float]]:
    """The values of ``counts`` (value -> rows, in order of appearance) sorted, with their fractions of ``n``."""
    values = list(counts.index)
    try:
        order = sorted(range(len(values)), key=lambda i: values[i])
    except TypeError:
        order = sorted(range(len(values)), key=lambda i: str(values[i]))
    return ([_to_builtin(values[i]) for i in order],
            [float(counts.iloc[i]) / n for i in order])


def numeric_edges(lo: float, hi: float, grid_resolution: int) -> np.ndarray | None:
    """The buckets' edges over [lo, hi]; None for a constant column (one value)."""
    return None if lo == hi else np.linspace(lo, hi, grid_resolution + 1)


def bucket_counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Rows per bucket of the non-missing values ``x`` (the last bucket closed)."""
    resolution = len(edges) - 1
    bucket = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, resolution - 1)
    return np.bincount(bucket, minlength=resolution)


def numeric_grid(edges: np.ndarray, counts: np.ndarray, n: int) -> tuple[list, list[float]]:
    centres = (edges[:-1] + edges[1:]) / 2
    return [float(c) for c in centres], [float(c) / n for c in counts]


def partial_dependence(
    predict: Predict,
    frame: pd.DataFrame,
    feature: str,
    *,
    grid_resolution: int = 15,
    categorical: bool | None = None,
    label_headers: Sequence[str] | None = None,
    max_rows_per_call: int = 65_536,
) -> dict:
    """One Clarify PDP entry for ``feature`` (see the module docstring)."""
    if feature not in frame.columns:
        raise DataError(f"PDP: {feature!r} is not a feature; features are {list(frame.columns)}.")
    if grid_resolution < 1:
        raise DataError(f"PDP: grid_resolution must be a positive integer; got {grid_resolution}.")
    col = frame[feature]
    cat = is_categorical(col) if categorical is None else categorical
    values, dist = grid(col, grid_resolution, cat)
    pred = forced_scores(predict, frame, feature, values, cat, col.dtype, max_rows_per_call).mean(axis=1)  # (k, D)
    return pdp_entry(feature, cat, values, dist, pred, label_headers)


def forced_scores(predict: Predict, frame: pd.DataFrame, feature: str, values: list, cat: bool, dtype: Any,
                  max_rows_per_call: int) -> np.ndarray:
    """The model's scores (grid values, rows, outputs) for every row of ``frame`` with ``feature``
    forced to each grid value, at most ``max_rows_per_call`` rows per call."""
    synthetic = forced_rows(frame, feature, values, cat, dtype)
    preds = []
    for start in range(0, len(synthetic), max_rows_per_call):
        out = np.asarray(predict(synthetic.iloc[start:start + max_rows_per_call]), dtype=float)
        preds.append(out[:, None] if out.ndim == 1 else out)
    return np.concatenate(preds).reshape(len(values), len(frame), -1)


def forced_rows(frame: pd.DataFrame, feature: str, values: list, cat: bool, dtype: Any) -> pd.DataFrame:
    """Every row of ``frame`` once per grid value (value-major), ``feature`` forced to that value."""
    n, k = len(frame), len(values)
    synthetic = frame.iloc[np.tile(np.arange(n), k)].reset_index(drop=True)
    if cat:
        forced = pd.Series(np.repeat(np.array(values, dtype=object), n)).astype(dtype)
    else:
        dtype = dtype if dtype.kind == "f" else np.dtype(float)
        forced = pd.Series(np.repeat(np.asarray(values, dtype=float), n)).astype(dtype)
    synthetic[feature] = forced.to_numpy() if not cat else forced.array
    return synthetic


def pdp_entry(feature: str, cat: bool, values: list, dist: list[float], pred: np.ndarray,
          label_headers: Sequence[str] | None) -> dict:
    """The PDP entry of analysis.json from the mean predictions ``pred`` (grid values, outputs)."""
    d = pred.shape[1]
    headers = list(label_headers) if label_headers is not None else list(score_names(d, None))
    if len(headers) != d:
        raise DataError(f"PDP: the model returned {d} scores per row but {len(headers)} label "
                        f"headers were given ({headers}).")
    return {
        "feature_name": feature,
        "data_type": "categorical" if cat else "numerical",
        "feature_values": values,
        "data_distribution": dist,
        "model_predictions": [[float(v) for v in pred[:, j]] for j in range(d)],
        "label_headers": headers,
    }
