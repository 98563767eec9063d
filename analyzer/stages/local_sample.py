"""The rows of the local SHAP values that a report's chart draws, kept while a dataset is read in chunks.

The local summary chart (:func:`analyzer.report.charts.beeswarm_chart`) draws every row up to
:data:`~analyzer.report.charts.MAX_POINTS` (1,500) and otherwise a fixed-seed sample of that many, which
depends only on the number of rows. The survey knows that number before the SHAP pass, so the pass keeps
exactly the rows the chart would draw of a whole read: their ``out.csv`` rows and their feature values
(the points' colours), at most 1,500 rows, whatever the dataset's size. Above that the chart orders the
features by every row's mean |SHAP|, summed here chunk by chunk (for ties to rounding between two
features, the order may differ from a whole read's); up to 1,500 rows the chart is the whole read's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class LocalSample:
    """The local values (out.csv's columns) and feature values of the rows the chart draws."""

    rows: int                                   # the dataset's
    picked: np.ndarray                          # the rows kept (sorted positions in the dataset)
    seen: int = 0
    parts: list[tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=list)
    abs_sums: pd.Series | None = None           # per out.csv column: sum of |value| over finite values
    counts: pd.Series | None = None             # and their number

    @classmethod
    def of(cls, rows: int) -> LocalSample:
        from analyzer.report import beeswarm_rows

        return cls(rows, beeswarm_rows(rows))

    def wanted(self, start: int, stop: int) -> np.ndarray:
        """The kept rows among rows ``start..stop-1`` of the dataset, as positions from ``start``."""
        return self.picked[np.searchsorted(self.picked, start):np.searchsorted(self.picked, stop)] - start

    def add(self, local: pd.DataFrame, features: pd.DataFrame) -> None:
        """The next chunk's out.csv rows and feature columns (the same rows)."""
        self.add_kept(local, features.iloc[self.wanted(self.seen, self.seen + len(local))])

    def add_kept(self, local: pd.DataFrame, kept: pd.DataFrame) -> None:
        """The next chunk's out.csv rows, and the feature columns of its :meth:`wanted` rows only (a
        Dask worker sends no more)."""
        start, stop = self.seen, self.seen + len(local)
        take = self.wanted(start, stop)
        if take.size:
            self.parts.append((local.iloc[take], kept))
        self.seen = stop
        if self.sampled:
            numeric = local.apply(pd.to_numeric, errors="coerce").abs()
            sums, counts = numeric.sum(), numeric.notna().sum()
            self.abs_sums = sums if self.abs_sums is None else self.abs_sums + sums
            self.counts = counts if self.counts is None else self.counts + counts

    @property
    def sampled(self) -> bool:
        """Fewer rows kept than the dataset has."""
        return len(self.picked) < self.rows

    def local(self) -> pd.DataFrame | None:
        if not self.parts:
            return None
        return pd.concat([p[0] for p in self.parts], ignore_index=True)

    def features(self) -> pd.DataFrame | None:
        if not self.parts:
            return None
        return pd.concat([p[1] for p in self.parts], ignore_index=True)

    def report_fields(self) -> dict[str, Any]:
        """The :class:`~analyzer.report.ReportContext` fields: the rows kept, and what they are a sample of."""
        fields: dict[str, Any] = {"local_shap": self.local(), "local_features": self.features()}
        if self.sampled:
            fields.update(local_rows=self.rows, local_importance=self.importance())
        return fields

    def importance(self) -> pd.Series | None:
        """Every row's mean |SHAP| per out.csv column when the rows are a sample, else None (the chart's own)."""
        if not self.sampled or self.abs_sums is None or self.counts is None:
            return None
        return self.abs_sums / self.counts
