"""Model responses → ``ModelOutput``, and Clarify's rules from model output to predicted labels.

Shared by the predictor (live responses) and by Model Monitor capture reading (recorded
responses): labels and scores are located with ``predictor.label`` / ``predictor.probability``
(a column index for CSV, JMESPath for JSON and JSON Lines).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Callable

import jmespath
import numpy as np
import pandas as pd

from analyzer.errors import ConfigError, EndpointError
from analyzer.formats import CSV, JSON, JSONLINES
from analyzer.labels import holds_scores, threshold_scores

NameOrIndex = str | int


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


def score_names(width: int, label_headers: tuple[Any, ...] | None) -> tuple[str, ...]:
    """``label_headers`` when they fit the score width, else Clarify's placeholders label0, label1, ...

    The SDK's one-score idiom: a single score with two headers ``[negative, positive]`` is the
    score of the positive class, so it is named after the second header.
    """
    if label_headers and len(label_headers) == width:
        return tuple(map(str, label_headers))
    if label_headers and width == 1 and len(label_headers) == 2:
        return (str(label_headers[1]),)
    return tuple(f"label{i}" for i in range(width))


class ResponseError(Exception):
    """The model answered, but not in a shape that fits the request (caller adds the endpoint)."""


class CountMismatch(ResponseError):
    def __init__(self, got: int, expected: int) -> None:
        super().__init__(f"returned {got} predictions for a batch of {expected} records")
        self.got, self.expected = got, expected


@dataclass(frozen=True)
class ResponseCodec:
    accept_type: str
    label: NameOrIndex | None = None
    probability: NameOrIndex | None = None
    label_headers: tuple[Any, ...] | None = None
    #: The config key that ``probability`` came from, for messages: in an explainability-only job
    #: ``predictor.label`` locates the scores (``analyzer.predictor.codecs.response_codec``).
    probability_key: str = "probability"

    def decode(self, body: bytes, expected: int) -> ModelOutput:
        labels, scores = DECODERS[self.accept_type](self, body, expected)
        return _assemble(labels, scores, expected, self.label_headers, self.probability_key)


def _number(text: str) -> Any:
    """A CSV cell as the model meant it: number, JSON list, or the text itself."""
    text = text.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _decode_csv(codec: ResponseCodec, body: bytes, expected: int) -> tuple[list | None, list | np.ndarray | None]:
    text = body.decode("utf-8")
    if codec.label is None and codec.probability is None and '"' not in text and "[" not in text:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) == 1 and expected > 1 and lines[0].count(",") == expected - 1:
            lines = lines[0].split(",")  # one score per record on a single line (older XGBoost images)
        try:
            cells: list = lines if "," not in text else [line.split(",") for line in lines]  # 1 score: no split
            matrix = np.array(cells, dtype=float).reshape(len(lines), -1)
            return None, matrix  # kept 2-D: large recorded outputs (capture) skip per-row work
        except ValueError:
            pass
    rows = [[_number(cell) for cell in row] for row in csv.reader(io.StringIO(text)) if row]

    def column(index: NameOrIndex | None, key: str) -> list | None:
        if index is None:
            return None
        if not isinstance(index, int):
            raise ConfigError(f"predictor.{key}: with accept_type text/csv it must be a column index, got {index!r}.")
        try:
            return [row[index] for row in rows]
        except IndexError:
            raise ResponseError(f"has no column {index} (predictor.{key}); a response row: {rows[0]}") from None

    labels, scores = column(codec.label, "label"), column(codec.probability, codec.probability_key)
    if labels is None and scores is None:
        if all(isinstance(v, (int, float)) for row in rows for v in row):
            scores = rows
        else:
            labels = [row[0] if len(row) == 1 else row for row in rows]
    return labels, scores


def _search(path: NameOrIndex, document: Any, key: str) -> Any:
    if not isinstance(path, str):
        raise ConfigError(f"predictor.{key}: with a JSON response it must be a JMESPath string, got {path!r}.")
    try:
        return jmespath.search(path, document)
    except jmespath.exceptions.JMESPathError as exc:
        raise ConfigError(f"predictor.{key}: invalid JMESPath {path!r}: {exc}") from None


def _decode_jsonlines(codec: ResponseCodec, body: bytes, expected: int) -> tuple[list | None, list | None]:
    try:
        documents = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
    except ValueError as exc:
        raise ResponseError(f"sent a response that is not JSON Lines ({exc})") from None
    if codec.label is None and codec.probability is None:
        return _unaddressed(documents)
    labels = None if codec.label is None else [_search(codec.label, d, "label") for d in documents]
    scores = None if codec.probability is None else [_search(codec.probability, d, codec.probability_key)
                                                     for d in documents]
    return labels, scores


def _unaddressed(values: list) -> tuple[list | None, list | None]:
    """Without predictor.label/probability the records themselves must be scores or labels."""
    if any(isinstance(v, dict) for v in values):
        raise ResponseError("returned JSON objects; set predictor.probability (and/or predictor.label) to "
                            f"the JMESPath of the scores, e.g. for {dumps_short(values[0])}")
    if all(isinstance(v, (int, float, list)) and not isinstance(v, bool) for v in values):
        return None, values
    return values, None


def dumps_short(value: Any) -> str:
    return json.dumps(value)[:200]


def _per_record(found: Any, expected: int) -> list:
    """A JMESPath result on a whole JSON response → one item per record. A request with a single
    record may give the item itself (a score, a label or one score vector)."""
    if expected == 1 and not (isinstance(found, list) and len(found) == 1):
        return [found]
    if not isinstance(found, list):
        raise ResponseError(f"gave {dumps_short(found)} where a list with one item per record was expected")
    return found


def _decode_json(codec: ResponseCodec, body: bytes, expected: int) -> tuple[list | None, list | None]:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ResponseError(f"sent a response that is not JSON ({exc})") from None
    if codec.label is None and codec.probability is None:
        return _unaddressed(_per_record(document, expected))
    labels = None if codec.label is None else _per_record(_search(codec.label, document, "label"), expected)
    scores = None if codec.probability is None else _per_record(
        _search(codec.probability, document, codec.probability_key), expected)
    return labels, scores


DECODERS: dict[str, Callable[[ResponseCodec, bytes, int], tuple[list | None, list | np.ndarray | None]]] = {
    CSV: _decode_csv,
    JSONLINES: _decode_jsonlines,
    JSON: _decode_json,
}


def _scores_array(values: list | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.ndim == 2 and values.dtype.kind == "f":
        return values
    try:
        rows = [v if isinstance(v, (list, tuple, np.ndarray)) else [v] for v in values]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise ResponseError(f"returned score lists of different lengths {sorted(widths)}")
        return np.array(rows, dtype=float).reshape(len(rows), -1)
    except (TypeError, ValueError):
        raise ResponseError(f"returned scores that are not numbers, e.g. {dumps_short(values[:3])}") from None


def _labels_array(values: list) -> np.ndarray:
    if any(isinstance(v, list) for v in values):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.asarray(values)


def _assemble(labels: list | None, scores: list | np.ndarray | None, expected: int,
              headers: tuple[Any, ...] | None, probability_key: str = "probability") -> ModelOutput:
    for found in (labels, scores):
        if found is not None and len(found) != expected:
            raise CountMismatch(len(found), expected)
    if labels is not None and any(v is None for v in labels):
        raise ResponseError("returned no label for some records (predictor.label found nothing)")
    if scores is not None and not isinstance(scores, np.ndarray) and any(v is None for v in scores):
        raise ResponseError(f"returned no score for some records (predictor.{probability_key} found nothing)")
    score_array = None if scores is None else _scores_array(scores)
    width = 0 if score_array is None else score_array.shape[1]
    return ModelOutput(scores=score_array, labels=None if labels is None else _labels_array(labels),
                       score_names=score_names(width, headers) if width else ())


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
