"""Partial dependence over a dataset read in chunks, with the same bits as over every row at once.

The grids come from the survey (min, max and non-missing count of a numeric feature; value counts of
a categorical one); each chunk goes through the model once per feature, every row with the feature
forced to each grid value, and a numeric feature's rows are counted into its buckets. The mean over
the rows is numpy's over all of them (pairwise when the model gives one score), so the predictions
are written to a temporary file (8 bytes per row, grid value and score) and averaged at the end, one
grid value at a time.
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


@dataclass
class _Feature:
    name: str
    categorical: bool
    dtype: object
    values: list
    dist: list[float] | None          # None: from the bucket counts at the end
    edges: np.ndarray | None = None
    counts: np.ndarray | None = None
    path: Path | None = None
    scores: np.memmap | None = None


class PdpStream:
    def __init__(self, predict: Callable[[pd.DataFrame], np.ndarray], found: Survey, names: Sequence[str],
                 grid_resolution: int, label_headers: Sequence[str] | None, max_rows_per_call: int,
                 folder: str) -> None:
        self.predict, self.n, self.labels = predict, found.rows, label_headers
        self.rows, self.offset, self.folder = max_rows_per_call, 0, Path(folder)
        self.features = [_grid(found, name, grid_resolution) for name in names]

    def add(self, frame: pd.DataFrame) -> None:
        """One chunk's feature columns through the model for every feature and grid value."""
        for feature in self.features:
            self._store(feature, forced_scores(self.predict, frame, feature.name, feature.values,
                                               feature.categorical, feature.dtype, self.rows))
            if feature.edges is not None:
                x = frame[feature.name].to_numpy(dtype=float)
                assert feature.counts is not None
                feature.counts += bucket_counts(x[~np.isnan(x)], feature.edges)
        self.offset += len(frame)

    def _store(self, feature: _Feature, scores: np.ndarray) -> None:
        if feature.scores is None:
            feature.path = self.folder / f"pdp-{len(list(self.folder.iterdir()))}.f64"
            feature.scores = np.memmap(feature.path, dtype=np.float64, mode="w+",
                                       shape=(len(feature.values), self.n, scores.shape[2]))
        feature.scores[:, self.offset:self.offset + scores.shape[1]] = scores

    def finish(self) -> list[dict]:
        """The PDP entries of analysis.json, in the features' order."""
        out = []
        for feature in self.features:
            assert feature.scores is not None and self.offset == self.n
            pred = np.stack([np.asarray(feature.scores[i]).mean(axis=0) for i in range(len(feature.values))])
            dist = feature.dist
            if dist is None:
                assert feature.edges is not None and feature.counts is not None
                dist = numeric_grid(feature.edges, feature.counts, self.n)[1]
            out.append(pdp_entry(feature.name, feature.categorical, feature.values, dist, pred, self.labels))
            feature.scores = None   # closes the map
        return out


def _grid(found: Survey, name: str, resolution: int) -> _Feature:
    dtype = found.dtypes[name]
    categorical = is_categorical(pd.Series([], dtype=dtype))
    if categorical:
        counts = found.categories.get(name, {})
        values, dist = categorical_grid(pd.Series(list(counts.values()), index=list(counts), dtype=np.int64),
                                        found.rows)
        return _Feature(name, True, dtype, values, dist)
    if name not in found.numeric:
        raise no_values(name)
    lo, hi, kept = found.numeric[name]
    edges = numeric_edges(lo, hi, resolution)
    if edges is None:
        return _Feature(name, False, dtype, [lo], [kept / found.rows])
    values = numeric_grid(edges, np.zeros(resolution), found.rows)[0]
    return _Feature(name, False, dtype, values, None, edges, np.zeros(resolution, dtype=np.int64))


def scratch() -> tempfile.TemporaryDirectory:
    """A temporary folder for the predictions (removed when the job ends, failed or not)."""
    return tempfile.TemporaryDirectory(prefix="analyzer-pdp-")
