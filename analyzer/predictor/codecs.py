"""Request encoders (one dispatch entry per content type) and the response codec a config asks for.

Encoders turn a feature frame into one request body. Decoding responses lives in
``analyzer.formats.responses``, which capture-data reading shares.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.errors import ConfigError
from analyzer.formats import CSV, DECODERS, IMAGE, JSON, JSONLINES, ResponseCodec
from analyzer.predictor import templates
from analyzer.predictor.cells import frame_cells


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


def _cells(frame: pd.DataFrame, kind: str, min_columns: int = 1) -> list[tuple[str, ...]] | None:
    """Rows of cell texts made in bulk, or None for the general path (also for frames with no rows,
    and for one-column CSV, where the csv module quotes an empty string)."""
    if not len(frame) or frame.shape[1] < min_columns:
        return None
    return frame_cells(frame, kind)


def _encode_csv(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    rows = _cells(frame, "csv", min_columns=2)
    if rows is not None:
        return ("\n".join(map(",".join, rows)) + "\n").encode("utf-8")
    return frame.to_csv(header=False, index=False, lineterminator="\n").encode("utf-8")


def _encode_jsonlines(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    template = codec.content_template or templates.DEFAULT_JSONLINES_TEMPLATE
    rows = _cells(frame, "json")
    if rows is not None:
        return templates.render_jsonlines_cells(template, rows).encode("utf-8")
    return "\n".join(templates.render_jsonlines(template, row) for row in _rows(frame)).encode("utf-8")


def _encode_json(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    record = codec.record_template
    assert record is not None
    rows = _cells(frame, "json") if record.renders_cells else None
    if rows is not None:
        records = [record.render_cells(row) for row in rows]
    else:
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
    if config.dataset_type.lower() == IMAGE:  # image bytes or arrays, not feature rows
        from analyzer.predictor.image_codecs import image_request_codec
        return image_request_codec(config)  # type: ignore[return-value]  # same interface
    content_type = (predictor.content_type or config.dataset_type).lower()
    if content_type not in ENCODERS:
        raise ConfigError(f"predictor.content_type: {content_type} is not supported for tabular requests "
                          f"(supported: {', '.join(ENCODERS)}).")
    names = tuple(map(str, feature_names))
    if predictor.content_template is not None and not isinstance(predictor.content_template, str):
        raise ConfigError("predictor.content_template: an object template (allowed by the SDK's schema) is not "
                          "supported by this analyzer; give a string template such as '{\"instances\":$records}'.")
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


def response_codec(config: AnalysisConfig) -> ResponseCodec:
    """The response format from ``predictor.accept_type`` (default: the content type).

    Clarify quirk: in an explainability-only job (no post-training bias) with no
    ``predictor.probability``, ``predictor.label`` locates the scores (the SDK writes
    ``model_scores`` there).
    """
    predictor = config.predictor
    assert predictor is not None
    if config.dataset_type.lower() == IMAGE:  # class scores or detections per image
        from analyzer.predictor.image_codecs import image_response_codec
        return image_response_codec(config)  # type: ignore[return-value]  # same interface
    content_type = (predictor.content_type or config.dataset_type).lower()
    accept = (predictor.accept_type or content_type).lower()
    if accept not in DECODERS:
        raise ConfigError(f"predictor.accept_type: {accept} is not supported (supported: {', '.join(DECODERS)}).")
    label, probability = predictor.label, predictor.probability
    if probability is None and label is not None and config.methods.post_training_bias is None \
            and config.methods.needs_explanations:
        return ResponseCodec(accept, None, label, predictor.label_headers, probability_key="label")
    return ResponseCodec(accept, label, probability, predictor.label_headers)
