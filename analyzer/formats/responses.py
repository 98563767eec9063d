"""Model responses → ``ModelOutput``, and Clarify's rules from model output to predicted labels.

Shared by the predictor (live responses) and by Model Monitor capture reading (recorded
responses): labels and scores are located with ``predictor.label`` / ``predictor.probability``
(a column index for CSV, JMESPath for JSON and JSON Lines).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import jmespath
import numpy as np

from analyzer.errors import ConfigError
from analyzer.formats import CSV, JSON, JSONLINES
from analyzer.formats.csv_cells import csv_columns, csv_rows, is_numeric
from analyzer.formats.json_lines import json_fields, json_lines
from analyzer.formats.paths import compile_path

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
        try:
            labels, scores = DECODERS[self.accept_type](self, body, expected)
        except UnicodeDecodeError as exc:
            raise ResponseError(f"sent a response that is not UTF-8 text (byte {exc.start})") from None
        except RecursionError:
            raise ResponseError("sent a response nested too deeply to read") from None
        return _assemble(labels, scores, expected, self.label_headers, self.probability_key)


def _decode_csv(codec: ResponseCodec, body: bytes, expected: int) -> tuple[Any, Any]:
    text = body.decode("utf-8")
    if codec.label is None and codec.probability is None and '"' not in text and "[" not in text:
        lines = text.splitlines()
        try:   # blank lines are skipped; a blank-looking line ("  ") fails the conversion, then is dropped
            return None, _score_matrix(lines, text, expected)
        except ValueError:
            kept = [line for line in lines if line.strip()]
            try:
                if len(kept) < len(lines):
                    return None, _score_matrix(kept, text, expected)
            except ValueError:
                pass
    for key, index in (("label", codec.label), (codec.probability_key, codec.probability)):
        if index is not None and not isinstance(index, int):
            raise ConfigError(f"predictor.{key}: with accept_type text/csv it must be a column index, got {index!r}.")
    columns = csv_columns(text)
    indexes = (codec.label, codec.probability)
    numeric = columns is not None and all(map(is_numeric, columns))
    if columns is None or any(isinstance(i, int) and not -len(columns) <= i < len(columns) for i in indexes) \
            or (indexes == (None, None) and len(columns) > 1 and not numeric):
        return _csv_by_rows(codec, csv_rows(text))   # the general reader: its values and its error messages
    if indexes == (None, None):   # all scores, or one text label per record
        return (None, np.column_stack(columns).astype(float)) if numeric else (columns[0], None)
    return tuple(None if i is None else columns[i] for i in (codec.label, codec.probability))  # type: ignore


def _score_matrix(lines: list[str], text: str, expected: int) -> np.ndarray:
    """Numeric CSV lines as a 2-D score matrix (ValueError when a cell is not a number)."""
    if "" in lines:
        lines = [line for line in lines if line]
    if len(lines) == 1 and expected > 1 and lines[0].count(",") == expected - 1:
        lines = lines[0].split(",")  # one score per record on a single line (older XGBoost images)
    cells: list = lines if "," not in text else [line.split(",") for line in lines]  # 1 score: no split
    return np.array(cells, dtype=float).reshape(len(lines), -1)  # 2-D: large recorded outputs skip per-row work


def _csv_by_rows(codec: ResponseCodec, rows: list[list[Any]]) -> tuple[list | None, list | None]:
    def column(index: NameOrIndex | None, key: str) -> list | None:
        if index is None:
            return None
        try:
            return [row[index] for row in rows]  # type: ignore[index]
        except IndexError:
            raise ResponseError(f"has no column {index} (predictor.{key}); a response row: {rows[0]}") from None

    labels, scores = column(codec.label, "label"), column(codec.probability, codec.probability_key)
    if labels is None and scores is None:
        if all(isinstance(v, (int, float)) for row in rows for v in row):
            scores = rows
        else:
            labels = [row[0] if len(row) == 1 else row for row in rows]
    return labels, scores


def _path(path: NameOrIndex, key: str) -> Callable[[Any], Any]:
    if not isinstance(path, str):
        raise ConfigError(f"predictor.{key}: with a JSON response it must be a JMESPath string, got {path!r}.")
    try:
        return compile_path(path)
    except jmespath.exceptions.JMESPathError as exc:
        raise ConfigError(f"predictor.{key}: invalid JMESPath {path!r}: {exc}") from None


def _decode_jsonlines(codec: ResponseCodec, body: bytes, expected: int) -> tuple[Any, Any]:
    wanted = [(key, path) for key, path in (("label", codec.label), (codec.probability_key, codec.probability))
              if path is not None]
    if wanted and all(isinstance(path, str) for _, path in wanted):
        for key, path in wanted:
            _path(path, key)   # an invalid JMESPath is a config error on every path
        fields = json_fields(body, [str(path) for _, path in wanted])
        if fields is not None:   # plain field names, read in bulk
            found = iter(fields)
            labels = None if codec.label is None else next(found)
            return labels, None if codec.probability is None else next(found)
    try:
        documents = json_lines(body.decode("utf-8"))
    except ValueError as exc:
        raise ResponseError(f"sent a response that is not JSON Lines ({exc})") from None
    if codec.label is None and codec.probability is None:
        return _unaddressed(documents)
    labels = None if codec.label is None else list(map(_path(codec.label, "label"), documents))
    scores = None if codec.probability is None else list(map(_path(codec.probability, codec.probability_key),
                                                             documents))
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
    try:
        return json.dumps(value)[:200]
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:200]


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
    labels = None if codec.label is None else _per_record(_path(codec.label, "label")(document), expected)
    scores = None if codec.probability is None else _per_record(
        _path(codec.probability, codec.probability_key)(document), expected)
    return labels, scores


DECODERS: dict[str, Callable[[ResponseCodec, bytes, int], tuple[Any, Any]]] = {
    CSV: _decode_csv,
    JSONLINES: _decode_jsonlines,
    JSON: _decode_json,
}


def _scores_array(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":   # decoded in bulk
        return _finite(values.astype(float, copy=False).reshape(len(values), -1))   # 2-D float: as it is
    try:
        flat = np.array(values, dtype=float)   # one score per record: no per-row lists
        if flat.ndim == 1:
            return _finite(flat.reshape(len(flat), 1))
    except (TypeError, ValueError, OverflowError):
        pass   # lists of scores, or not numbers: the checks below say which
    try:
        rows = [v if isinstance(v, (list, tuple, np.ndarray)) else [v] for v in values]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise ResponseError(f"returned score lists of different lengths {sorted(widths)}")
        array = np.array(rows, dtype=float).reshape(len(rows), -1)
    except (TypeError, ValueError, OverflowError):
        raise ResponseError(f"returned scores that are not numbers, e.g. {dumps_short(values[:3])}") from None
    return _finite(array)


def _finite(array: np.ndarray) -> np.ndarray:
    """NaN or infinite scores are the model's fault (exit 4), not an analysis result."""
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).any(axis=1).sum())
        raise ResponseError(f"returned NaN or infinite scores for {bad} of {len(array)} records")
    return array


def _labels_array(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        return values
    if any(isinstance(v, list) for v in values):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.asarray(values)


def _has_none(values: Any) -> bool:
    return not (isinstance(values, np.ndarray) and values.dtype.kind != "O") and any(v is None for v in values)


def _assemble(labels: Any, scores: Any, expected: int,
              headers: tuple[Any, ...] | None, probability_key: str = "probability") -> ModelOutput:
    for found in (labels, scores):
        if found is not None and len(found) != expected:
            raise CountMismatch(len(found), expected)
    if labels is not None and _has_none(labels):
        raise ResponseError("returned no label for some records (predictor.label found nothing)")
    if scores is not None and _has_none(scores):
        raise ResponseError(f"returned no score for some records (predictor.{probability_key} found nothing)")
    score_array = None if scores is None else _scores_array(scores)
    width = 0 if score_array is None else score_array.shape[1]
    return ModelOutput(scores=score_array, labels=None if labels is None else _labels_array(labels),
                       score_names=score_names(width, headers) if width else ())


from analyzer.formats.predicted_labels import labels_from_output  # noqa: E402,F401 - re-exported
