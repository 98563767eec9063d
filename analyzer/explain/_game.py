"""Clarify's interventional game, as rows for the model: counted model calls, the link, baseline
averages, and the synthetic rows of a group of records (see :mod:`analyzer.explain.kernel_shap`)."""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from analyzer.errors import DataError
from analyzer.explain._design import Solver

Predict = Callable[[pd.DataFrame], np.ndarray]

#: Probabilities are clipped to [LOGIT_EPS, 1 - LOGIT_EPS] before the logit.
LOGIT_EPS = 1e-12


class CountingPredict:
    """``predict`` in calls of at most ``max_rows`` rows, counted, with the output shape checked."""

    def __init__(self, predict: Predict, max_rows: int) -> None:
        self.predict = predict
        self.max_rows = max_rows
        self.calls = 0
        self.rows = 0
        self.num_outputs: int | None = None
        self.seconds = 0.0  # wall time inside predict: outside it the model has nothing to do

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        began = time.monotonic()
        try:
            return self._call(frame)
        finally:
            self.seconds += time.monotonic() - began

    def _call(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for start in range(0, len(frame), self.max_rows):
            part = frame.iloc[start:start + self.max_rows] if len(frame) > self.max_rows else frame
            out = np.asarray(self.predict(part), dtype=float)
            if out.ndim == 1:
                out = out[:, None]
            if out.ndim != 2 or out.shape[0] != len(part):
                raise DataError(
                    f"The model returned predictions of shape {out.shape} for {len(part)} rows; "
                    "expected one row of scores per input row."
                )
            if self.num_outputs is None:
                self.num_outputs = out.shape[1]
            elif out.shape[1] != self.num_outputs:
                raise DataError(
                    f"The model returned {out.shape[1]} scores per row in one call and "
                    f"{self.num_outputs} in another; the number of scores must be constant."
                )
            self.calls += 1
            self.rows += len(part)
            parts.append(out)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def link(values: np.ndarray, use_logit: bool) -> np.ndarray:
    if not use_logit:
        return values
    p = np.clip(values, LOGIT_EPS, 1.0 - LOGIT_EPS)
    return np.log(p) - np.log1p(-p)


def weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum over axis -2 (baseline rows) weighted by ``weights``, in a fixed order."""
    out = values[..., 0, :] * weights[0]
    for b in range(1, len(weights)):
        out = out + values[..., b, :] * weights[b]
    return out


def synthetic_rows(
    x: np.ndarray,
    base: np.ndarray,
    varying: np.ndarray,
    players: np.ndarray,
    solver: Solver | None,
    subset_game: bool,
) -> np.ndarray:
    """Rows for a group of records: f(x) rows, coalition rows (r, s, b), then empty-set rows."""
    r, n_feat = x.shape
    n_base = len(base)
    background = np.broadcast_to(base[None], (r, n_base, n_feat))
    if subset_game:  # features outside the game keep the record's values
        background = np.repeat(x[:, None, :], n_base, axis=1)
        background[:, :, players] = base[None][:, :, players]
    parts = [x]
    if solver is not None:
        masks = solver.design.masks
        s = len(masks)
        full = np.zeros((s, n_feat), dtype=bool)
        full[:, varying] = masks
        rows = np.where(full[None, :, None, :], x[:, None, None, :], background[:, None, :, :])
        parts.append(rows.reshape(r * s * n_base, n_feat))
    if subset_game:
        parts.append(background.reshape(r * n_base, n_feat))
    return np.concatenate(parts)
