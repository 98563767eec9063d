"""The frozen input every bias metric reads: facet, label and prediction masks plus counts.

``d`` is the sensitive facet group (``facet`` True), ``a`` is every other row, NaN facet
values included. Counts are taken once, with one ``np.bincount`` over the 2x2x2 cells
(facet, label, prediction); the metrics only do arithmetic on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

INF = float("inf")


def divide(a: float, b: float) -> float:
    """``a / b`` with smclarify's conventions: 0/0 is 0.0, x/0 is +inf (x > 0) or -inf (x < 0)."""
    if b == 0:
        if a == 0:
            return 0.0
        return -INF if a < 0 else INF
    return a / b


class Confusion(NamedTuple):
    """Confusion counts of one group (a or d), as plain ints."""

    TP: int
    FP: int
    FN: int
    TN: int

    @property
    def n(self) -> int:
        return self.TP + self.FP + self.FN + self.TN


@dataclass(frozen=True)
class Features:
    """The FlipTest feature matrix, prepared once per report.

    ``array`` is the float64 matrix of the feature columns in frame order, or None when
    ``error`` says why FlipTest cannot run (e.g. non-numeric columns).
    """

    array: np.ndarray | None
    error: str | None = None
    rows: np.ndarray | None = None  # weighted groups (chunked path): the group row of each feature row


@dataclass(frozen=True)
class Groups:
    """Boolean masks of one facet value, and the counts every metric needs.

    Build it with :meth:`build`; the fields after ``features`` are derived.

    Attributes
    ----------
    facet : bool array, True for the sensitive group ``d``.
    label : bool array, True for a positive observed label (NaN labels are False).
    pred : bool array or None, True for a positive predicted label (post-training only).
    group : int array or None, the group variable's codes in sorted order of its values,
        -1 for a missing value; None when no group variable was given.
    n_group_codes : number of distinct (non-missing) group codes.
    features : FlipTest features or None.
    weights : int array or None: how many rows of the data each row stands for (the chunked path
        counts distinct rows once, :mod:`analyzer.bias.counts`); None means one each.
    """

    facet: np.ndarray
    label: np.ndarray
    pred: np.ndarray | None = None
    group: np.ndarray | None = None
    n_group_codes: int = 0
    features: Features | None = None
    weights: np.ndarray | None = field(default=None, repr=False)
    cells: np.ndarray = field(default=None, repr=False)  # type: ignore[arg-type]  # set by build()

    @classmethod
    def build(
        cls,
        facet: np.ndarray,
        label: np.ndarray,
        pred: np.ndarray | None = None,
        group: np.ndarray | None = None,
        n_group_codes: int | None = None,
        features: Features | None = None,
        weights: np.ndarray | None = None,
    ) -> Groups:
        """Validate the masks and count the (facet, label, prediction) cells once."""
        facet = np.asarray(facet, dtype=bool)
        label = np.asarray(label, dtype=bool)
        if label.shape != facet.shape:
            raise ValueError("facet and label masks must have the same length")
        code = facet.view(np.uint8) * np.uint8(4) + label.view(np.uint8) * np.uint8(2)
        if pred is not None:
            pred = np.asarray(pred, dtype=bool)
            if pred.shape != facet.shape:
                raise ValueError("facet and prediction masks must have the same length")
            code += pred.view(np.uint8)
        cells = np.bincount(code, weights=weights, minlength=8).astype(np.int64).reshape(2, 2, 2)
        if group is not None:
            group = np.asarray(group)
            if n_group_codes is None:
                n_group_codes = int(group.max()) + 1 if group.size else 0
        return cls(facet, label, pred, group, n_group_codes or 0, features, weights, cells)

    # --- counts -----------------------------------------------------------------
    @property
    def n(self) -> int:
        return int(self.facet.shape[0]) if self.weights is None else int(self.cells.sum())

    @property
    def n_d(self) -> int:
        return int(self.cells[1].sum())

    @property
    def n_a(self) -> int:
        return int(self.cells[0].sum())

    def label_counts(self, side: int) -> tuple[int, int]:
        """(negatives, positives) of the observed label in ``side`` (0 = a, 1 = d)."""
        c = self.cells[side].sum(axis=1)
        return int(c[0]), int(c[1])

    def pred_counts(self, side: int) -> tuple[int, int]:
        """(predicted negatives, predicted positives) in ``side`` (0 = a, 1 = d)."""
        self._need_pred()
        c = self.cells[side].sum(axis=0)
        return int(c[0]), int(c[1])

    def confusion(self, side: int) -> Confusion:
        """TP, FP, FN, TN of ``side`` (0 = a, 1 = d)."""
        self._need_pred()
        c = self.cells[side]
        return Confusion(TP=int(c[1, 1]), FP=int(c[0, 1]), FN=int(c[1, 0]), TN=int(c[0, 0]))

    def _need_pred(self) -> None:
        if self.pred is None:
            raise ValueError("this metric needs predicted labels (post-training)")
