"""``predictor.in_process``: the model from ``model_data`` runs in the job's own process (no HTTP).

It answers as the same model behind ``scripts/model_server`` would, and that answer goes through
the config's response rules (``predictor.label`` / ``probability`` / ``label_headers`` with the
accept type's addressing), so labels, scores and thresholds come out exactly as over HTTP:

- text/csv: one row per record: the label (no probabilities), P(class 1) (binary; ``label,score``
  when model_meta.json says ``"csv_output": "label,score"``) or every class probability;
- JSON Lines / JSON: ``{"predicted_label", "score"[, "scores", "labels"]}`` per record (JSON wraps
  them in ``{"predictions": [...]}``).

Common addressings are resolved on arrays; any other (e.g. a JMESPath expression) renders the
answer's bytes and decodes them with the shared decoder, which is slower but identical.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pandas as pd

from analyzer.errors import EndpointError
from analyzer.formats import CSV, JSON, JSONLINES, ModelOutput, ResponseCodec, ResponseError, score_names
from analyzer.models import LoadedModel, Source, UnsupportedModel
from analyzer.predictor.base import DEFAULT_ROWS_PER_CALL

log = logging.getLogger("analyzer.predictor")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class _Answer:
    """One prediction's answer in columns: what the server would send, not yet serialised."""

    def __init__(self, model: LoadedModel, labels: np.ndarray, proba: np.ndarray | None) -> None:
        self.model, self.labels = model, labels
        self.proba = np.zeros((len(labels), 0)) if proba is None else proba
        self.has_proba = proba is not None
        self.binary = self.has_proba and self.proba.shape[1] == 2

    def csv_columns(self) -> list[tuple[np.ndarray, Any]]:
        """(values, source) per CSV column; source "label" marks the label column."""
        if not self.has_proba:
            return [(self.labels, "label")]
        if self.binary:
            score = (self.proba[:, 1], ("proba", 1))
            return [(self.labels, "label"), score] if self.model.csv_output == "label,score" else [score]
        return [(self.proba[:, k], ("proba", k)) for k in range(self.proba.shape[1])]

    def record_fields(self) -> dict[str, tuple[Any, Any]]:
        """JSON field -> (values per record, source)."""
        fields: dict[str, tuple[Any, Any]] = {"predicted_label": (self.labels, "label")}
        if self.binary:
            fields["score"] = (self.proba[:, 1], ("proba", 1))
        elif self.has_proba:
            fields["score"] = (self.proba.max(axis=1), None)
            fields["scores"] = (self.proba, ("probas",))
        return fields

    def body(self, accept: str) -> bytes:
        """The bytes ``scripts/model_server`` sends (the slow, general path)."""
        if accept == CSV:
            cells = [[str(_plain(v)) for v in values] if source == "label" else [repr(float(v)) for v in values]
                     for values, source in self.csv_columns()]
            return ("\n".join(",".join(row) for row in zip(*cells, strict=True)) + "\n").encode()
        records = []
        classes = self.model.classes
        for i, label in enumerate(self.labels):
            record: dict[str, Any] = {"predicted_label": _plain(label)}
            if self.binary:
                record["score"] = float(self.proba[i, 1])
            elif self.has_proba:
                record["score"] = float(self.proba[i].max())
                record["scores"] = self.proba[i].tolist()
                record["labels"] = [_plain(c) for c in (classes or range(self.proba.shape[1]))]
            records.append(record)
        if accept == JSONLINES:
            return ("\n".join(json.dumps(r) for r in records) + "\n").encode()
        return json.dumps({"predictions": records}).encode()


def _field(path: Any, accept: str) -> str | None:
    """The record field a simple JMESPath names (``score``; ``predictions[*].score`` for JSON)."""
    if not isinstance(path, str):
        return None
    if accept == JSON:
        for prefix in ("predictions[*].", "predictions[]."):
            if path.startswith(prefix):
                return path[len(prefix):]
        return None
    return path


def _labels(values: np.ndarray) -> np.ndarray:
    return np.asarray([_plain(v) for v in values]) if values.dtype == object else values


class ModelFilePredictor:
    """A ``Predictor`` over a ``LoadedModel``; ``score_sources`` traces each score to the trees."""

    def __init__(self, model: LoadedModel, codec: ResponseCodec,
                 max_rows_per_call: int = DEFAULT_ROWS_PER_CALL) -> None:
        self.model, self.codec, self._max_rows = model, codec, max_rows_per_call
        self.score_sources: list[Any] | None = None
        self.description = f"in-process {model.kind} model {model.name}"

    @property
    def max_rows_per_call(self) -> int:
        return self._max_rows

    def predict(self, features: pd.DataFrame) -> ModelOutput:
        try:
            labels, proba = self.model.predict(features)
        except Exception as exc:  # noqa: BLE001 - the model library rejects the input
            raise EndpointError(f"The {self.description} failed to predict: {type(exc).__name__}: {exc}") from None
        answer = _Answer(self.model, np.asarray(labels), None if proba is None else np.asarray(proba, dtype=float))
        fast = self._fast(answer, len(features))
        if fast is not None:
            return fast
        self.score_sources = None
        try:
            return self.codec.decode(answer.body(self.codec.accept_type), len(features))
        except ResponseError as exc:
            raise EndpointError(f"The {self.description}'s answer does not fit the predictor keys: {exc}") from None

    def _fast(self, answer: _Answer, n: int) -> ModelOutput | None:
        """The decoder's result computed on arrays, or None where only the decoder itself is sure."""
        if self.codec.accept_type == CSV:
            return self._fast_csv(answer.csv_columns())
        return self._fast_records(answer.record_fields())

    def _fast_csv(self, columns: list[tuple[np.ndarray, Any]]) -> ModelOutput | None:
        codec = self.codec
        if codec.label is None and codec.probability is None:
            if not all(np.issubdtype(values.dtype, np.number) for values, _ in columns):
                return None  # text labels: the decoder reads them as labels
            return self._output(None, [(np.asarray(v, dtype=float), s) for v, s in columns])
        picked: list[tuple[np.ndarray, Any] | None] = []
        for index in (codec.label, codec.probability):
            if index is not None and not (isinstance(index, int) and 0 <= index < len(columns)):
                return None  # the decoder raises the right error
            picked.append(None if index is None else columns[index])
        label, score = picked
        if score is not None and not np.issubdtype(score[0].dtype, np.number):
            return None
        return self._output(None if label is None else _labels(label[0]),
                            None if score is None else [(np.asarray(score[0], dtype=float), score[1])])

    def _fast_records(self, fields: dict[str, tuple[Any, Any]]) -> ModelOutput | None:
        codec, accept = self.codec, self.codec.accept_type
        if codec.label is None and codec.probability is None:
            return None
        label_field = _field(codec.label, accept)
        score_field = _field(codec.probability, accept)
        if (codec.label is not None and label_field not in fields) or (
                codec.probability is not None and score_field not in fields):
            return None
        labels = None if label_field is None else _labels(np.asarray(fields[label_field][0]))
        if score_field is None:
            return self._output(labels, None)
        values, source = fields[score_field]
        values = np.asarray(values)
        if not np.issubdtype(values.dtype, np.number):
            return None
        values = values.astype(float)
        if values.ndim == 2:
            return self._output(labels, [(values[:, k], ("proba", k)) for k in range(values.shape[1])])
        return self._output(labels, [(values, source)])

    def _output(self, labels: np.ndarray | None, scores: list[tuple[np.ndarray, Any]] | None) -> ModelOutput:
        if scores is None:
            self.score_sources = ["label"]
            return ModelOutput(scores=None, labels=labels)
        self.score_sources = [source for _, source in scores]
        matrix = np.column_stack([values for values, _ in scores])
        return ModelOutput(scores=matrix, labels=labels, score_names=score_names(matrix.shape[1],
                                                                                   self.codec.label_headers))

    def tree_sources(self) -> tuple[Any, list[Source]]:
        """(ModelTrees, (output, link) per score column of the last prediction) or UnsupportedModel."""
        trees = self.model.trees()
        if not self.score_sources:
            raise UnsupportedModel("the predictor keys select scores that are not traced to the trees")
        sources = []
        for source in self.score_sources:
            if source == "label":
                found = trees.label_source
            elif isinstance(source, tuple) and source[0] == "proba" and source[1] < len(trees.proba_sources):
                found = trees.proba_sources[source[1]]
            else:
                found = None
            if found is None:
                raise UnsupportedModel(f"the score the predictor keys select ({source}) is not one tree margin "
                                       "through a sigmoid or the identity (e.g. the maximum class probability, "
                                       "P(class 0), or a label)")
            sources.append(found)
        return trees, sources
