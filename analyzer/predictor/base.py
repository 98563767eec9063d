"""The predictor protocol every backend satisfies, what it returns, and Clarify's predicted-label rules."""
from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.errors import EndpointError
from analyzer.formats import ModelOutput, labels_from_output, score_names

__all__ = ["DEFAULT_ROWS_PER_CALL", "InProcessPredictor", "ModelOutput", "Predictor", "as_scores",
           "predicted_labels", "score_names"]

#: Rows one predict() call should hold so that every request slot stays busy without building
#: a huge synthetic frame at once (Kernel SHAP sizes its chunks with it).
DEFAULT_ROWS_PER_CALL = 65_536


@runtime_checkable
class Predictor(Protocol):
    """Anything that turns a feature frame into predictions. ``predict`` splits into requests
    itself, so callers may pass frames of any size; ``max_rows_per_call`` is the size it suggests."""

    @property
    def max_rows_per_call(self) -> int: ...

    def predict(self, features: pd.DataFrame) -> ModelOutput: ...


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


def predicted_labels(output: ModelOutput, config: AnalysisConfig) -> np.ndarray:
    """One predicted label per record by Clarify's rules (``analyzer.formats.responses.labels_from_output``)."""
    headers = config.predictor.label_headers if config.predictor else None
    return labels_from_output(output, config.probability_threshold, headers)
