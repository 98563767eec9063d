"""The request and response codecs a config asks for, checked without importing pandas or numpy
(``analyzer validate`` runs these checks): encoding lives in ``analyzer.predictor.encoders``,
decoding in ``analyzer.formats.responses``, which capture-data reading shares.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from analyzer.config import AnalysisConfig
from analyzer.errors import ConfigError
from analyzer.formats import CSV, IMAGE, JSON, JSONLINES
from analyzer.predictor import templates

if TYPE_CHECKING:
    import pandas as pd

    from analyzer.formats import ResponseCodec

REQUEST_TYPES = (CSV, JSONLINES, JSON)    # the keys of encoders.ENCODERS
RESPONSE_TYPES = (CSV, JSONLINES, JSON)   # the keys of formats.responses.DECODERS


@dataclass(frozen=True)
class RequestCodec:
    content_type: str
    feature_names: tuple[str, ...]
    content_template: str | None = None
    record_template: templates.RecordTemplate | None = None
    one_record_per_request: bool = False

    def encode(self, frame: pd.DataFrame) -> bytes:
        from analyzer.predictor.encoders import ENCODERS   # pandas, Arrow: loaded by the first request

        return ENCODERS[self.content_type](self, frame)


def request_codec(config: AnalysisConfig, feature_names: Sequence[str]) -> RequestCodec:
    """The request format from ``predictor.content_type`` (default: the dataset type) and templates."""
    predictor = config.predictor
    assert predictor is not None
    if config.dataset_type.lower() == IMAGE:  # image bytes or arrays, not feature rows
        from analyzer.predictor.image_codecs import image_request_codec
        return image_request_codec(config)  # type: ignore[return-value]  # same interface
    content_type = (predictor.content_type or config.dataset_type).lower()
    if content_type not in REQUEST_TYPES:
        raise ConfigError(f"predictor.content_type: {content_type} is not supported for tabular requests "
                          f"(supported: {', '.join(REQUEST_TYPES)}).")
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
    """A request for one all-zero record (what the encoders send for it) must be JSON."""
    assert codec.record_template is not None and codec.content_template is not None
    record = codec.record_template.render([0] * len(codec.feature_names))
    body = templates.render_json_content(codec.content_template, [record]).encode("utf-8")
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
    if config.dataset_type.lower() == IMAGE:  # class scores or detections per image
        from analyzer.predictor.image_codecs import image_response_codec
        return image_response_codec(config)  # type: ignore[return-value]  # same interface
    from analyzer.formats import ResponseCodec

    return ResponseCodec(*response_settings(config))


def check_response(config: AnalysisConfig) -> None:
    """Raise the ConfigError ``response_codec`` would, importing pandas only for image models."""
    if config.dataset_type.lower() == IMAGE:
        response_codec(config)
    else:
        response_settings(config)


def response_settings(config: AnalysisConfig) -> tuple:
    """``ResponseCodec``'s arguments for ``config`` (accept type checked), without building it."""
    predictor = config.predictor
    assert predictor is not None
    content_type = (predictor.content_type or config.dataset_type).lower()
    accept = (predictor.accept_type or content_type).lower()
    if accept not in RESPONSE_TYPES:
        raise ConfigError(f"predictor.accept_type: {accept} is not supported (supported: {', '.join(RESPONSE_TYPES)}).")
    label, probability = predictor.label, predictor.probability
    if probability is None and label is not None and config.methods.post_training_bias is None \
            and config.methods.needs_explanations:
        return accept, None, label, predictor.label_headers, "label"
    return accept, label, probability, predictor.label_headers
