"""Tabular feature frames as one float matrix (numbers as they are, other columns as codes), and back.

Synthetic rows are built with one ``np.where`` over that matrix and turned back into a frame whose
columns keep the dtypes of the dataset (strings stay strings, ints stay ints), so a real model or
endpoint receives valid values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_EXACT_INT = 2**53  # ints beyond this are coded like categories so float64 does not round them


@dataclass(frozen=True)
class Codec:
    """How each column of a frame maps to a column of float values."""

    columns: tuple[str, ...]
    dtypes: tuple[Any, ...]             # numpy or pandas extension dtypes
    uniques: tuple[Any | None, ...]     # per coded column: the values (original dtype); None if numeric

    @property
    def all_float(self) -> bool:
        return all(u is None and np.dtype(d) == np.float64 for u, d in zip(self.uniques, self.dtypes))

    def decode(self, values: np.ndarray) -> pd.DataFrame:
        """Float matrix (rows, columns) -> frame with the original column dtypes."""
        if self.all_float:
            return pd.DataFrame(values, columns=list(self.columns), copy=False)
        data = {}
        for j, (name, dtype, uniques) in enumerate(zip(self.columns, self.dtypes, self.uniques)):
            col = values[:, j]
            if uniques is None:
                data[name] = col.astype(dtype, copy=False)
            else:
                data[name] = pd.Series(uniques.take(col.astype(np.intp)), dtype=dtype, copy=False)
        return pd.DataFrame(data, columns=list(self.columns))


def _is_plain_numeric(series: pd.Series) -> bool:
    dtype = series.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        return False
    if dtype.kind in "iu" and len(series) and np.abs(series.to_numpy()).max() >= _EXACT_INT:
        return False
    return True


def encode(*frames: pd.DataFrame) -> tuple[Codec, list[np.ndarray]]:
    """Encode frames with the same columns into float matrices sharing one codec.

    Non-numeric columns are factorised over all frames together; missing values get their own
    code, so "missing" equals "missing" when features are compared with the baseline.
    """
    columns = tuple(frames[0].columns)
    for frame in frames[1:]:
        if tuple(frame.columns) != columns:
            raise ValueError("frames to encode must have the same columns")
    out = [np.empty((len(f), len(columns))) for f in frames]
    dtypes: list[Any] = []
    uniques: list[Any] = []
    for j, name in enumerate(columns):
        first = frames[0][name]
        dtypes.append(first.dtype)
        if all(_is_plain_numeric(f[name]) for f in frames):
            dtypes[-1] = np.result_type(*[f[name].dtype for f in frames])  # type: ignore[arg-type]  # numpy dtypes here
            for k, frame in enumerate(frames):
                out[k][:, j] = frame[name].to_numpy(dtype=float)
            uniques.append(None)
            continue
        combined = pd.concat([f[name].astype(first.dtype) for f in frames], ignore_index=True)
        codes, values = pd.factorize(combined, use_na_sentinel=False)
        start = 0
        for k, frame in enumerate(frames):
            out[k][:, j] = codes[start:start + len(frame)]
            start += len(frame)
        uniques.append(pd.array(np.asarray(values, dtype=object), dtype=first.dtype))  # type: ignore[arg-type]
    return Codec(columns, tuple(dtypes), tuple(uniques)), out


def equal_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality that treats NaN as equal to NaN (broadcasting)."""
    return (a == b) | (np.isnan(a) & np.isnan(b))
