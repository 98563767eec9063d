"""Clarify's rules from model output (``ModelOutput``) to one predicted label per record."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analyzer.errors import EndpointError
from analyzer.labels import holds_scores, threshold_scores

if TYPE_CHECKING:
    from analyzer.formats.responses import ModelOutput


def _argmax_labels(scores: np.ndarray, choices: list[np.ndarray] | np.ndarray) -> np.ndarray:
    picks = np.nanargmax(scores, axis=1)
    return np.array([row[i] for row, i in zip(choices, picks)], dtype=object)


def _thresholded(scores: pd.Series, threshold: float, label_headers: tuple[Any, ...] | None) -> np.ndarray:
    """One score per record → 0/1 by ``probability_threshold``; with the SDK's one-score idiom
    (``label_headers`` naming the classes) → the header: ``[negative, positive]``, or ``[positive]``
    alone, whose negative is then ``"not <positive>"`` (any value but the positive one means "not
    positive" to the bias metrics)."""
    flags = threshold_scores(scores, threshold)
    if not label_headers or len(label_headers) > 2 or flags.isna().any():
        return flags.to_numpy()
    positive = label_headers[-1]
    negative = label_headers[0] if len(label_headers) == 2 else (
        f"not {positive}" if isinstance(positive, str) else int(not positive))
    return np.where(flags.to_numpy() == 1, positive, negative)


def labels_from_output(output: ModelOutput, threshold: float,
                       label_headers: tuple[Any, ...] | None = None) -> np.ndarray:
    """One predicted label per record from the model output, by Clarify's rules:

    * a label list per record (multiclass) + scores → the label with the highest score;
    * a label per record → as returned, unless ``predictor.label`` located scores (floats in
      [0, 1], not all 0/1: the SDK's ``ModelPredictedLabelConfig(label=<score>)`` and a plain
      ``model_predicted_label_config`` int), which are thresholded like a single score;
    * ``label_headers`` + a score vector → the header with the highest score;
    * a single score → ``score > threshold`` → 1, else 0 (or the class named by ``label_headers``);
    * a score vector without headers → the index of the highest score.
    """
    labels, scores = output.labels, output.scores
    if labels is not None and len(labels) and isinstance(labels[0], (list, tuple, np.ndarray)):
        if scores is None:
            raise EndpointError("The model returned a list of labels per record; set predictor.probability "
                                "to the scores so that the label with the highest score can be chosen.")
        widths = {len(row) for row in labels} | {scores.shape[1]}
        if len(widths) != 1:
            raise EndpointError(f"The model returned label lists and score lists of different lengths "
                                f"({sorted(widths)}); they must pair up one to one.")
        return _argmax_labels(scores, labels)
    if labels is not None:
        located = pd.Series(labels)
        if located.dtype == object:  # e.g. JSON numbers decoded one by one, or a CSV column
            try:
                located = pd.to_numeric(located)
            except (TypeError, ValueError):
                pass
        if holds_scores(located):
            return _thresholded(located.astype(float), threshold, label_headers)
        return np.asarray(labels)
    if scores is None:
        raise EndpointError("The model output holds neither labels nor scores; check predictor.label and "
                            "predictor.probability.")
    if scores.shape[1] == 1:
        return _thresholded(pd.Series(scores[:, 0]), threshold, label_headers)
    if label_headers and len(label_headers) == scores.shape[1]:
        return _argmax_labels(scores, np.tile(np.asarray(label_headers, dtype=object), (len(scores), 1)))
    return np.nanargmax(scores, axis=1)
