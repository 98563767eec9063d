"""Sufficient statistics for bias metrics from data read in chunks: distinct rows, counted.

Every bias metric, the type inference and the value selection read only the facet, label, predicted
label and group columns, and only through which values occur, in which order they first occur, and
how many rows hold each combination. :class:`DistinctRows` keeps exactly that, chunk by chunk: the
distinct combinations of those columns in order of first appearance, with their row counts. At the
end each column is typed as a whole-dataset read types it, and :func:`analyzer.bias.run_bias` runs on
the distinct rows with the counts as ``weights``: the same numbers as on all the rows.

Memory is bounded by the number of distinct combinations (see :data:`MAX_DISTINCT`), not by rows;
FlipTest, which needs rows, keeps the data row → distinct row map when asked (``keep_rows``).

A chunk is counted in two steps: :func:`count_part` reduces it alone to a :class:`CountsPart` (small,
picklable: a Dask worker counts the rows it read itself) and :meth:`DistinctRows.add_part` merges the
parts in data order into the state :meth:`DistinctRows.add` gives on the chunks themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

#: More distinct combinations (or values of one column) than this: the chunked path gives up and the
#: dataset is read whole (a continuous column with millions of distinct values, say).
MAX_DISTINCT = 1_000_000
Typer = Callable[[pd.Series], pd.Series]
_PACK_LIMIT = 2**40


class TooManyDistinct(Exception):
    """The columns have too many distinct values for counting to save memory."""


class _NA:
    """One key for every missing value (pandas groups NaN, None and NA together)."""


class ColumnValues:
    """The distinct values of one column across chunks, coded in order of first appearance.

    ``typer`` turns the values as read (in order of first appearance) into the column as a
    whole-dataset read types it; without it the chunks' own types are combined as ``pd.concat``
    combines them.
    """

    def __init__(self, name: str, typer: Typer | None = None) -> None:
        self.name = name
        self._typer = typer
        self._codes: dict[Any, int] = {}
        self._parts: list[pd.Series] = []     # new values of each chunk, typed as the chunk read them
        self._dtypes: set[str] = set()

    def encode(self, series: pd.Series) -> np.ndarray:
        """Codes of a chunk's values (int64), new values appended in order of first appearance."""
        local, uniques = _factorize(series)
        return self.merge(uniques)[local]

    def merge(self, uniques: pd.Series) -> np.ndarray:
        """Codes (int64) of a chunk's distinct values in order of first appearance, typed as the chunk
        read them (one missing value at most, as :func:`_factorize` gives them); new values appended."""
        mapping = np.empty(len(uniques), dtype=np.int64)
        new = []
        for i, value in enumerate(uniques.tolist()):
            key = _NA if pd.isna(value) else value
            code = self._codes.get(key)
            if code is None:
                code = self._codes[key] = len(self._codes)
                new.append(i)
            mapping[i] = code
        if len(self._codes) > MAX_DISTINCT:
            raise TooManyDistinct(f"column {self.name!r} has more than {MAX_DISTINCT:,} distinct values")
        if new or str(uniques.dtype) not in self._dtypes:   # an empty part still widens the type
            self._dtypes.add(str(uniques.dtype))
            self._parts.append(uniques.iloc[new])
        return mapping

    def finish(self) -> tuple[pd.Series, np.ndarray]:
        """(the distinct values, typed, in order of first appearance; each code's index into them).

        Typing can merge values (1 and 1.0 once the column is float): they then share an index.
        """
        raw = pd.concat(self._parts, ignore_index=True)
        typed = self._typer(raw) if self._typer is not None else raw
        codes, _ = pd.factorize(typed, use_na_sentinel=False, sort=False)
        first = np.unique(codes, return_index=True)[1]
        return typed.iloc[first].reset_index(drop=True), codes


def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``pd.factorize(series, use_na_sentinel=False)`` (missing values one value, in order of first
    appearance), without its slow missing-value pass over object columns."""
    local, found = pd.factorize(series, sort=False)
    uniques = pd.Series(found, dtype=series.dtype)
    missing = local < 0
    if not missing.any():
        return local, uniques
    na_row = int(np.argmax(missing))
    at = int(np.searchsorted(_first_rows(local), na_row))     # values seen before the first missing one
    local = np.where(missing, at, local + (local >= at))
    parts = [uniques.iloc[:at], series.iloc[na_row:na_row + 1], uniques.iloc[at:]]
    return local, pd.concat(parts, ignore_index=True).astype(series.dtype)


def _first_rows(ids: np.ndarray) -> np.ndarray:
    """The first row of each id, for ids numbered in order of first appearance (-1 rows skipped): the
    running maximum grows exactly there."""
    return np.flatnonzero(np.diff(np.maximum.accumulate(ids), prepend=-1) > 0)


class DistinctRows:
    """Distinct combinations of ``columns`` over all chunks, with how many rows hold each."""

    def __init__(self, columns: Sequence[ColumnValues], keep_rows: bool = False) -> None:
        self.columns = list(columns)
        self._index: dict[tuple[int, ...], int] = {}
        self._keys: list[tuple[int, ...]] = []
        self._weights = np.zeros(1024, dtype=np.int64)
        self._rows: list[np.ndarray] | None = [] if keep_rows else None
        self.total = 0

    def add(self, frame: pd.DataFrame) -> None:
        """Count one chunk's rows."""
        self.add_part(count_part(frame, [column.name for column in self.columns], self._rows is not None))

    def add_part(self, part: CountsPart) -> None:
        """Count one chunk's rows from its :class:`CountsPart` (parts added in the order of the data)."""
        if part.names != tuple(column.name for column in self.columns) or (part.rows is None) != (self._rows is None):
            raise ValueError(f"a part counting {part.names} (rows: {part.rows is not None}) does not fit "
                             f"{[c.name for c in self.columns]} (rows: {self._rows is not None})")
        if part.total == 0:
            return
        mappings = [column.merge(values) for column, values in zip(self.columns, part.values)]
        keys = np.column_stack([m[part.combinations[:, j]] for j, m in enumerate(mappings)])
        mapping = np.empty(len(keys), dtype=np.int64)
        for i, key in enumerate(map(tuple, keys.tolist())):   # distinct combinations of the chunk, not its rows
            found = self._index.get(key)
            if found is None:
                found = self._index[key] = len(self._keys)
                self._keys.append(key)
            mapping[i] = found
        if len(self._keys) > MAX_DISTINCT:
            raise TooManyDistinct(f"more than {MAX_DISTINCT:,} distinct combinations of "
                                  f"{', '.join(c.name for c in self.columns)}")
        if len(self._keys) > len(self._weights):
            self._weights = np.concatenate([self._weights, np.zeros(len(self._keys), dtype=np.int64)])
        np.add.at(self._weights, mapping, part.counts)
        if self._rows is not None:
            assert part.rows is not None
            self._rows.append(mapping[part.rows].astype(np.int32))
        self.total += part.total

    def finish(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        """(one row per distinct combination in order of first appearance, typed; the row counts;
        the distinct row of every data row, when ``keep_rows``)."""
        n = len(self._keys)
        weights = self._weights[:n].copy()
        keys = np.array(self._keys, dtype=np.int64).reshape(n, len(self.columns))
        data = {}
        for j, column in enumerate(self.columns):
            values, index = column.finish()
            data[column.name] = values.take(index[keys[:, j]]).reset_index(drop=True)
        rows = None if self._rows is None else np.concatenate([np.empty(0, np.int32), *self._rows])
        return pd.DataFrame(data), weights, rows


@dataclass(frozen=True)
class CountsPart:
    """One chunk counted on its own (see :func:`count_part`); small and picklable."""

    names: tuple[str, ...]                   # the counted columns
    values: tuple[pd.Series, ...]            # each column's distinct values, in order of first appearance,
                                             # typed as the chunk read them (its dtype even without rows)
    combinations: np.ndarray                 # (combinations, columns): indexes into ``values``, in order of
                                             # first appearance
    counts: np.ndarray                       # the rows of each combination
    rows: np.ndarray | None = None           # the combination of each data row (``keep_rows``)
    features: pd.DataFrame | None = None     # the rows' other columns a caller keeps (FlipTest's features)

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def count_part(frame: pd.DataFrame, names: Sequence[str], keep_rows: bool = False) -> CountsPart:
    """The chunk ``frame`` reduced to the distinct combinations of the columns ``names``, with counts."""
    if len(frame) == 0:
        values = tuple(pd.Series([], dtype=frame[name].dtype) for name in names)
        empty = np.empty((0, len(names)), dtype=np.int64)
        return CountsPart(tuple(names), values, empty, np.zeros(0, np.int64),
                          np.zeros(0, np.int32) if keep_rows else None)
    factorized = [_factorize(frame[name]) for name in names]
    codes = [local.astype(np.int64, copy=False) for local, _ in factorized]
    ids, first = _combinations(codes)
    combinations = np.column_stack([code[first] for code in codes])
    return CountsPart(tuple(names), tuple(uniques for _, uniques in factorized), combinations,
                      np.bincount(ids, minlength=len(first)), ids.astype(np.int32) if keep_rows else None)


def _combinations(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(combination id of each row, numbered in order of first appearance; the first row of each)."""
    key = codes[0].copy()
    for code in codes[1:]:
        key = key * (int(code.max()) + 1) + code
        if int(key.max()) >= _PACK_LIMIT:
            key = pd.factorize(key, sort=False)[0].astype(np.int64)
    ids = pd.factorize(key, sort=False)[0].astype(np.int64)
    return ids, _first_rows(ids)
