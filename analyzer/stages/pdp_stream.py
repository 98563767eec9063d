"""Partial dependence over a dataset read in chunks, with the same bits as over every row at once.

The grids come from the survey (min, max and non-missing count of a numeric feature; value counts of
a categorical one); each chunk goes through the model once per feature, every row with the feature
forced to each grid value, and a numeric feature's rows are counted into its buckets. The mean over
the rows is numpy's over all of them (pairwise when the model gives one score), so the predictions
are written to a temporary file (8 bytes per row, grid value and score) and averaged at the end, one
grid value at a time.

The work splits into parts that need no state of the stream (on a Dask cluster each worker scores its own
rows): the leader builds the grids (:class:`PdpGrid`, picklable) from the survey, :func:`pdp_part` scores one
part's rows for every grid and counts them into the buckets, and :meth:`PdpStream.add_part` writes a part's
scores at its rows' place and adds its counts (parts may come in any order: the mean is taken at the end,
over all rows in order, and counts are integers). :meth:`PdpStream.add` is the two in one process.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from analyzer.explain import (
    bucket_counts,
    categorical_grid,
    forced_scores,
    is_categorical,
    no_values,
    numeric_edges,
    numeric_grid,
    pdp_entry,
)
from analyzer.stages.survey import Survey


@dataclass(frozen=True)
class PdpGrid:
    """One feature's grid: what a part needs to score its rows (no model, no data)."""

    name: str
    categorical: bool
    dtype: object
    values: list
    dist: list[float] | None          # None: from the bucket counts at the end
    edges: np.ndarray | None = None   # a numeric feature's buckets (None: categorical or constant)


@dataclass
class PdpPart:
    """One part's rows through the model: per grid, the scores (values, rows, outputs) and bucket counts."""

    rows: int
    scores: list[np.ndarray]
    counts: list[np.ndarray | None]


def pdp_part(predict: Callable[[pd.DataFrame], np.ndarray], frame: pd.DataFrame, grid: Sequence[PdpGrid],
             max_rows_per_call: int) -> PdpPart:
    """The part's feature columns through the model for every feature and grid value."""
    scores: list[np.ndarray] = []
    counts: list[np.ndarray | None] = []
    if len(frame) == 0:
        return PdpPart(0, scores, counts)
    for feature in grid:
        scores.append(forced_scores(predict, frame, feature.name, feature.values, feature.categorical,
                                    feature.dtype, max_rows_per_call))
        counts.append(None)
        if feature.edges is not None:
            x = frame[feature.name].to_numpy(dtype=float)
            counts[-1] = bucket_counts(x[~np.isnan(x)], feature.edges)
    return PdpPart(len(frame), scores, counts)


class PdpStream:
    """The PDP entries of a dataset's rows added chunk by chunk (:meth:`add`) or part by part (:meth:`add_part`,
    parts scored elsewhere over :attr:`grid`)."""

    def __init__(self, predict: Callable[[pd.DataFrame], np.ndarray], found: Survey, names: Sequence[str],
                 grid_resolution: int, label_headers: Sequence[str] | None, max_rows_per_call: int,
                 folder: str) -> None:
        self.predict, self.n, self.labels = predict, found.rows, label_headers
        self.rows, self.offset, self.folder = max_rows_per_call, 0, Path(folder)   # offset: rows written so far
        self.grid = [_grid(found, name, grid_resolution) for name in names]
        self.counts = [np.zeros(len(g.edges) - 1, dtype=np.int64) if g.edges is not None else None for g in self.grid]
        self.scores: list[np.memmap | None] = [None] * len(self.grid)

    def add(self, frame: pd.DataFrame) -> None:
        """The next chunk's feature columns through the model for every feature and grid value."""
        self.add_part(self.offset, pdp_part(self.predict, frame, self.grid, self.rows))

    def add_part(self, offset: int, part: PdpPart) -> None:
        """A part's scores at its first row's number ``offset`` in the dataset; its bucket counts added."""
        if part.rows and len(part.scores) != len(self.grid):
            raise ValueError(f"a PDP part has {len(part.scores)} features' scores; the grids are {len(self.grid)}")
        if offset < 0 or offset + part.rows > self.n:
            raise ValueError(f"a PDP part of {part.rows} rows at row {offset} is outside the {self.n} rows")
        if part.rows == 0:
            return
        for i, (scores, counts) in enumerate(zip(part.scores, part.counts)):
            self._store(i, offset, scores)
            total = self.counts[i]
            if counts is not None and total is not None:
                total += counts
        self.offset += part.rows

    def _store(self, i: int, offset: int, scores: np.ndarray) -> None:
        stored = self.scores[i]
        if stored is None:
            path = self.folder / f"pdp-{len(list(self.folder.iterdir()))}.f64"
            stored = self.scores[i] = np.memmap(path, dtype=np.float64, mode="w+",
                                                shape=(len(self.grid[i].values), self.n, scores.shape[2]))
        stored[:, offset:offset + scores.shape[1]] = scores

    def finish(self) -> list[dict]:
        """The PDP entries of analysis.json, in the features' order."""
        out = []
        for i, feature in enumerate(self.grid):
            stored = self.scores[i]
            assert stored is not None and self.offset == self.n
            pred = np.stack([np.asarray(stored[j]).mean(axis=0) for j in range(len(feature.values))])
            dist, counts = feature.dist, self.counts[i]
            if dist is None:
                assert feature.edges is not None and counts is not None
                dist = numeric_grid(feature.edges, counts, self.n)[1]
            out.append(pdp_entry(feature.name, feature.categorical, feature.values, dist, pred, self.labels))
            self.scores[i] = None   # closes the map
        return out


def _grid(found: Survey, name: str, resolution: int) -> PdpGrid:
    dtype = found.dtypes[name]
    categorical = is_categorical(pd.Series([], dtype=dtype))
    if categorical:
        counts = found.categories.get(name, {})
        values, dist = categorical_grid(pd.Series(list(counts.values()), index=list(counts), dtype=np.int64),
                                        found.rows)
        return PdpGrid(name, True, dtype, values, dist)
    if name not in found.numeric:
        raise no_values(name)
    lo, hi, kept = found.numeric[name]
    edges = numeric_edges(lo, hi, resolution)
    if edges is None:
        return PdpGrid(name, False, dtype, [lo], [kept / found.rows])
    values = numeric_grid(edges, np.zeros(resolution), found.rows)[0]
    return PdpGrid(name, False, dtype, values, None, edges)


def scratch() -> tempfile.TemporaryDirectory:
    """A temporary folder for the predictions (removed when the job ends, failed or not)."""
    return tempfile.TemporaryDirectory(prefix="analyzer-pdp-")
