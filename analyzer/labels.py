"""Turning model scores into predicted labels (Clarify's rules), shared by every prediction source."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger("analyzer.labels")


def holds_scores(values: pd.Series) -> bool:
    """True when a predicted-label column holds probabilities rather than labels: a float column
    with values in [0, 1] of which at least one is not 0 or 1."""
    if not pd.api.types.is_float_dtype(values.dtype):
        return False
    finite = values.dropna().to_numpy(dtype=float)
    if finite.size == 0 or finite.min() < 0 or finite.max() > 1:
        return False
    return bool(np.any((finite != 0) & (finite != 1)))


def threshold_scores(scores: pd.Series, threshold: float) -> pd.Series:
    """score > threshold → 1, otherwise 0 (NaN stays NaN), as Clarify does."""
    log.info("We assume a prediction above %.3f indicates 1 and below or equal indicates 0.", threshold)
    out: pd.Series = (scores > threshold).astype("int64")
    if scores.isna().any():
        out = out.astype("float64").mask(scores.isna())
    return out


def predicted_labels_from_column(values: pd.Series, threshold: float) -> pd.Series:
    """The predicted labels a dataset column stands for: thresholded scores, or the labels as they are."""
    if holds_scores(values):
        log.info("Predicted label column '%s' holds scores in [0, 1]; applying probability_threshold.", values.name)
        return threshold_scores(values, threshold).rename(values.name)  # type: ignore[call-overload]
    return values
