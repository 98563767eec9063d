"""The predictor protocol every backend satisfies, what it returns, and Clarify's predicted-label rules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from analyzer.config.model import AnalysisConfig
from analyzer.errors import EndpointError
from analyzer.labels import threshold_scores

#: Rows one predict() call should hold so that every request slot stays busy without building
#: a huge synthetic frame at once (Kernel SHAP sizes its chunks with it).
DEFAULT_ROWS_PER_CALL = 65_536


@dataclass(frozen=True)
class ModelOutput:
    """Predictions for n records, in input order.

    ``scores`` is ``(n, D)`` float (D = 1 for a single score or a regression value); ``labels`` is
    ``(n,)`` as the model returned them (an object array whose items are lists when a multiclass
    model returns its label list). ``score_names`` names the D score columns.
    """

    scores: np.ndarray | None
    labels: np.ndarray | None
    score_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        present = self.scores if self.scores is not None else self.labels
        return 0 if present is None else len(present)


@runtime_checkable
class Predictor(Protocol):
    """Anything that turns a feature frame into predictions. ``predict`` splits into requests
    itself, so callers may pass frames of any size; ``max_rows_per_call`` is the size it suggests."""

    @property
    def max_rows_per_call(self) -> int: ...

    def predict(self, features: pd.DataFrame) -> ModelOutput: ...


def score_names(width: int, label_headers: tuple[str, ...] | None) -> tuple[str, ...]:
    """``label_headers`` when they fit the score width, else Clarify's placeholders label0, label1, ..."""
    if label_headers and len(label_headers) == width:
        return tuple(label_headers)
    return tuple(f"label{i}" for i in range(width))


def as_scores(values: object) -> np.ndarray:
    """Model scores as an (n, D) float array (a 1-D input becomes one column)."""
    array = np.asarray(values, dtype=float)
    return array.reshape(-1, 1) if array.ndim == 1 else array


class InProcessPredictor:
    """A Python function ``frame -> scores`` (or labels) used as a predictor: tests, benchmarks, SHAP.

    ``outputs="scores"`` reads the result as (n,) or (n, D) scores; ``"labels"`` as labels.
    """

    def __init__(self, function: Callable[[pd.DataFrame], object], *, outputs: str = "scores",
                 label_headers: tuple[str, ...] | None = None,
                 max_rows_per_call: int = DEFAULT_ROWS_PER_CALL) -> None:
        if outputs not in ("scores", "labels"):
            raise ValueError(f"outputs must be 'scores' or 'labels', got {outputs!r}")
        self._function = function
        self._outputs = outputs
        self._label_headers = label_headers
        self._max_rows = max_rows_per_call

    @property
    def max_rows_per_call(self) -> int:
        return self._max_rows

    def predict(self, features: pd.DataFrame) -> ModelOutput:
        parts = [self._function(features.iloc[start:start + self._max_rows])
                 for start in range(0, len(features), self._max_rows)] or [np.empty((0,))]
        if self._outputs == "labels":
            return ModelOutput(scores=None, labels=np.concatenate([np.asarray(p) for p in parts]))
        scores = np.concatenate([as_scores(p) for p in parts])
        if scores.shape[0] != len(features):
            raise EndpointError(f"The in-process model returned {scores.shape[0]} predictions for "
                                f"{len(features)} rows.")
        return ModelOutput(scores=scores, labels=None,
                           score_names=score_names(scores.shape[1], self._label_headers))


def _argmax_labels(scores: np.ndarray, choices: list[np.ndarray] | np.ndarray) -> np.ndarray:
    picks = np.nanargmax(scores, axis=1)
    return np.array([row[i] for row, i in zip(choices, picks)], dtype=object)


def predicted_labels(output: ModelOutput, config: AnalysisConfig) -> np.ndarray:
    """One predicted label per record from the model output, by Clarify's rules:

    * a label list per record (multiclass) + scores → the label with the highest score;
    * a label per record → as returned;
    * ``label_headers`` + a score vector → the header with the highest score;
    * a single score → ``score > probability_threshold`` → 1, else 0;
    * a score vector without headers → the index of the highest score.
    """
    headers = config.predictor.label_headers if config.predictor else None
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
        return np.asarray(labels)
    if scores is None:
        raise EndpointError("The model output holds neither labels nor scores; check predictor.label and "
                            "predictor.probability.")
    if scores.shape[1] == 1:
        return threshold_scores(pd.Series(scores[:, 0]), config.probability_threshold).to_numpy()
    if headers and len(headers) == scores.shape[1]:
        return _argmax_labels(scores, np.tile(np.asarray(headers, dtype=object), (len(scores), 1)))
    return np.nanargmax(scores, axis=1)
