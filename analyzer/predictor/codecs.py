"""Request encoders and response decoders, one dispatch entry per content type.

Encoders turn a feature frame into one request body. Decoders turn a response body into a
``ModelOutput`` for the records sent, locating labels and scores with ``predictor.label`` /
``predictor.probability`` (a column index for CSV, JMESPath for JSON and JSON Lines).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import jmespath
import numpy as np
import pandas as pd

from analyzer.config.model import CSV, JSON, JSONLINES, AnalysisConfig, NameOrIndex
from analyzer.errors import ConfigError
from analyzer.predictor.base import ModelOutput, score_names
from analyzer.predictor import templates


class ResponseError(Exception):
    """The model answered, but not in a shape that fits the request (caller adds the endpoint)."""


class CountMismatch(ResponseError):
    def __init__(self, got: int, expected: int) -> None:
        super().__init__(f"returned {got} predictions for a batch of {expected} records")
        self.got, self.expected = got, expected


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


# ---------------------------------------------------------------------------------------------- requests

@dataclass(frozen=True)
class RequestCodec:
    content_type: str
    feature_names: tuple[str, ...]
    content_template: str | None = None
    record_template: templates.RecordTemplate | None = None
    one_record_per_request: bool = False

    def encode(self, frame: pd.DataFrame) -> bytes:
        return ENCODERS[self.content_type](self, frame)


def _encode_csv(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    return frame.to_csv(header=False, index=False, lineterminator="\n").encode("utf-8")


def _encode_jsonlines(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    template = codec.content_template or templates.DEFAULT_JSONLINES_TEMPLATE
    return "\n".join(templates.render_jsonlines(template, row) for row in _rows(frame)).encode("utf-8")


def _encode_json(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    record = codec.record_template
    assert record is not None
    records = [record.render(row) for row in _rows(frame)]
    template = codec.content_template or templates.DEFAULT_JSON_CONTENT_TEMPLATE
    return templates.render_json_content(template, records).encode("utf-8")


ENCODERS: dict[str, Callable[[RequestCodec, pd.DataFrame], bytes]] = {
    CSV: _encode_csv,
    JSONLINES: _encode_jsonlines,
    JSON: _encode_json,
}


def request_codec(config: AnalysisConfig, feature_names: Sequence[str]) -> RequestCodec:
    """The request format from ``predictor.content_type`` (default: the dataset type) and templates."""
    predictor = config.predictor
    assert predictor is not None
    content_type = (predictor.content_type or config.dataset_type).lower()
    if content_type not in ENCODERS:
        raise ConfigError(f"predictor.content_type: {content_type} is not supported for tabular requests "
                          f"(supported: {', '.join(ENCODERS)}).")
    names = tuple(map(str, feature_names))
    if content_type == JSONLINES:
        if predictor.content_template:
            templates.check_jsonlines_template(predictor.content_template)
        return RequestCodec(content_type, names, content_template=predictor.content_template)
    if content_type == JSON:
        template = predictor.content_template or templates.DEFAULT_JSON_CONTENT_TEMPLATE
        single = templates.check_json_content_template(template)
        record = templates.RecordTemplate(predictor.record_template or templates.DEFAULT_RECORD_TEMPLATE, names)
        codec = RequestCodec(content_type, names, template, record, one_record_per_request=single)
        _check_renders_json(codec)
        return codec
    return RequestCodec(content_type, names)


def _check_renders_json(codec: RequestCodec) -> None:
    sample = pd.DataFrame([[0] * len(codec.feature_names)], columns=list(codec.feature_names))
    body = codec.encode(sample)
    try:
        json.loads(body)
    except ValueError as exc:
        raise ConfigError(f"predictor.content_template/record_template: the request they make is not valid "
                          f"JSON ({exc}); for example: {body[:200].decode('utf-8', 'replace')}") from None


# --------------------------------------------------------------------------------------------- responses

@dataclass(frozen=True)
class ResponseCodec:
    accept_type: str
    label: NameOrIndex | None = None
    probability: NameOrIndex | None = None
    label_headers: tuple[str, ...] | None = None

    def decode(self, body: bytes, expected: int) -> ModelOutput:
        labels, scores = DECODERS[self.accept_type](self, body, expected)
        return _assemble(labels, scores, expected, self.label_headers)


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


def _decode_csv(codec: ResponseCodec, body: bytes, expected: int) -> tuple[list | None, list | None]:
    text = body.decode("utf-8")
    if codec.label is None and codec.probability is None and '"' not in text and "[" not in text:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) == 1 and expected > 1 and lines[0].count(",") == expected - 1:
            lines = lines[0].split(",")  # one score per record on a single line (older XGBoost images)
        try:
            matrix = np.array([line.split(",") for line in lines], dtype=float)
            return None, list(matrix)
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

    labels, scores = column(codec.label, "label"), column(codec.probability, "probability")
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
    scores = None if codec.probability is None else [_search(codec.probability, d, "probability") for d in documents]
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
        _search(codec.probability, document, "probability"), expected)
    return labels, scores


DECODERS: dict[str, Callable[[ResponseCodec, bytes, int], tuple[list | None, list | None]]] = {
    CSV: _decode_csv,
    JSONLINES: _decode_jsonlines,
    JSON: _decode_json,
}


def _scores_array(values: list) -> np.ndarray:
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


def _assemble(labels: list | None, scores: list | None, expected: int,
              headers: tuple[str, ...] | None) -> ModelOutput:
    for found in (labels, scores):
        if found is not None and len(found) != expected:
            raise CountMismatch(len(found), expected)
    if labels is not None and any(v is None for v in labels):
        raise ResponseError("returned no label for some records (predictor.label found nothing)")
    if scores is not None and any(v is None for v in scores):
        raise ResponseError("returned no score for some records (predictor.probability found nothing)")
    score_array = None if scores is None else _scores_array(scores)
    width = 0 if score_array is None else score_array.shape[1]
    return ModelOutput(scores=score_array, labels=None if labels is None else _labels_array(labels),
                       score_names=score_names(width, headers) if width else ())


def response_codec(config: AnalysisConfig) -> ResponseCodec:
    """The response format from ``predictor.accept_type`` (default: the content type).

    Clarify quirk: in an explainability-only job (no post-training bias) with no
    ``predictor.probability``, ``predictor.label`` locates the scores (the SDK writes
    ``model_scores`` there).
    """
    predictor = config.predictor
    assert predictor is not None
    content_type = (predictor.content_type or config.dataset_type).lower()
    accept = (predictor.accept_type or content_type).lower()
    if accept not in DECODERS:
        raise ConfigError(f"predictor.accept_type: {accept} is not supported (supported: {', '.join(DECODERS)}).")
    label, probability = predictor.label, predictor.probability
    if probability is None and label is not None and config.methods.post_training_bias is None \
            and config.methods.needs_explanations:
        label, probability = None, label
    return ResponseCodec(accept, label, probability, predictor.label_headers)
