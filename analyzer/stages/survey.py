"""The first pass over a dataset read in chunks for explanations: what a whole read would know up front.

Kernel SHAP's global standard errors divide by the number of records before they are summed, PDP's grid
spans every row, and the automatic baseline clusters every row: so before any model call one pass
counts the rows, finds each column's type as a whole read gives it (a CSV chunk is typed by pandas
from that chunk alone: ints in one chunk and floats in another are floats read whole; any other mix
cannot be told from the chunks, and the job reads the dataset whole), gathers the PDP grids' inputs
(min, max and non-missing count of numeric features, value counts of the others) and, for the
automatic baseline only, keeps the feature columns (as FlipTest keeps its own).

Parts of the dataset (e.g. each Dask worker's row range) are surveyed separately (:func:`survey_part`) and
merged in record order (:func:`merge_surveys`) into the survey of the whole: rows and counts add up,
minima and maxima are order-free, categories keep the order they were first seen in, and the column types
are decided once, over every part's types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from analyzer.explain import is_categorical

_FLOAT = np.dtype(np.float64)
#: A chunk whose column is all missing: pandas types it float64 whatever the other chunks hold.
_EMPTY = "all missing"


class MixedTypes(Exception):
    """A column's chunks have types whose mix a whole read could type otherwise."""


@dataclass
class Survey:
    rows: int = 0
    dtypes: dict[str, Any] = field(default_factory=dict)          # column -> the type a whole read gives
    seen: dict[str, set] = field(default_factory=dict)            # column -> the chunks' types
    numeric: dict[str, list[float]] = field(default_factory=dict)  # feature -> [min, max, non-missing]
    categories: dict[str, dict] = field(default_factory=dict)     # feature -> {value: rows}, first seen first
    kept: list[pd.DataFrame] = field(default_factory=list)        # feature columns (automatic baseline)

    def typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The chunk with the whole read's types (ints of a float column as floats)."""
        changed = {name: frame[name].astype(dtype) for name, dtype in self.dtypes.items()
                   if name in frame.columns and frame[name].dtype != dtype}
        return frame.assign(**changed) if changed else frame

    def features(self) -> pd.DataFrame:
        """The kept feature columns, typed, in data order (then released)."""
        frame = self.typed(pd.concat(self.kept, ignore_index=True))
        self.kept = []
        return frame


def survey(frames: Iterable[pd.DataFrame], columns: list[str], grid_features: list[str],
           keep: list[str] | None) -> Survey:
    """One pass over the chunks (see the module doc); :class:`MixedTypes` names a column whose type
    cannot be known from the chunks."""
    return merge_surveys([survey_part(frames, columns, grid_features, keep)])


def survey_part(frames: Iterable[pd.DataFrame], columns: list[str], grid_features: list[str],
                keep: list[str] | None) -> Survey:
    """The survey of one part's chunks, its column types not decided yet (:func:`merge_surveys` does)."""
    found = Survey()
    for frame in frames:
        found.rows += len(frame)
        for name in columns:
            column = frame[name]
            empty = column.dtype == _FLOAT and bool(column.isna().all())
            found.seen.setdefault(name, set()).add(_EMPTY if empty else column.dtype)
        for name in grid_features:
            _grid_inputs(found, frame[name])
        if keep is not None:
            found.kept.append(frame.loc[:, keep])
    return found


def merge_surveys(parts: Sequence[Survey]) -> Survey:
    """The survey of the parts' records, parts in record order; raises :class:`MixedTypes` as :func:`survey`."""
    found = Survey()
    for part in parts:
        found.rows += part.rows
        for name, kinds in part.seen.items():
            found.seen.setdefault(name, set()).update(kinds)
        for name, (lo, hi, kept) in part.numeric.items():
            now = found.numeric.setdefault(name, [lo, hi, 0])
            now[0], now[1], now[2] = min(now[0], lo), max(now[1], hi), now[2] + kept
        for name, values in part.categories.items():
            counts = found.categories.setdefault(name, {})
            for value, rows in values.items():
                counts[value] = counts.get(value, 0) + rows
        found.kept.extend(part.kept)
    for name, kinds in found.seen.items():
        found.dtypes[name] = _whole_type(name, kinds)
    return found


def _whole_type(name: str, kinds: set) -> Any:
    known = kinds - {_EMPTY}
    if len(known) == 1 and (known == kinds or pd.api.types.is_string_dtype(next(iter(known)))):
        return next(iter(known))   # missing values in a text column are missing values in it read whole
    if known <= {np.dtype(np.int64), _FLOAT}:
        return _FLOAT   # ints with missing values, or with floats, read whole as floats
    raise MixedTypes(f"column {name!r} reads as {' and '.join(sorted(map(str, kinds)))} in different chunks")


def _grid_inputs(found: Survey, column: pd.Series) -> None:
    name = str(column.name)
    if is_categorical(column):
        counts = found.categories.setdefault(name, {})
        for value, rows in column.value_counts(dropna=True, sort=False).items():
            counts[value] = counts.get(value, 0) + int(rows)
        return
    x = column.to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return
    lo, hi = float(x.min()), float(x.max())
    now = found.numeric.setdefault(name, [lo, hi, 0])
    now[0], now[1], now[2] = min(now[0], lo), max(now[1], hi), now[2] + len(x)


def cast(frames: Iterable[pd.DataFrame], found: Survey) -> Iterator[pd.DataFrame]:
    for frame in frames:
        yield found.typed(frame)
