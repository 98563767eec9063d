"""Forecasting models (``time_series_predictor_config``): requests built from one item's (masked)
history, forecasts read with the ``forecast`` JMESPath, through the same batching and backends as
every other model call (``analyzer.predictor.session``).

Request (Clarify's time-series templates): ``record_template`` holds ``$start_time`` (the first
timestamp, as in the data), ``$target_time_series`` (the known history, a list),
``$related_time_series`` (one list per related series, horizon included: DeepAR's
``dynamic_feat``) and ``$static_covariates`` (a list: DeepAR's ``cat``); ``content_template``
holds ``$record`` (one record per request) or ``$records`` (a list of records). With no templates
the request is DeepAR's: ``{"instances": [{"start": ..., "target": [...], "dynamic_feat": [[...]],
"cat": [...]}]}`` (INFERRED default; the SDK always writes both templates). With
``content_type`` ``application/jsonlines`` each record is one line (INFERRED).

Response: ``forecast`` applied to the answer gives, for ``$record``, one forecast (a list of H
numbers); for ``$records``, a list with one forecast per record (e.g. ``predictions[*].mean``);
for a JSON Lines answer, one forecast per line.
"""
from __future__ import annotations

import functools
import json
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Sequence

import jmespath
import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.errors import ConfigError
from analyzer.formats import JSON, JSONLINES, CountMismatch, ModelOutput, ResponseError
from analyzer.predictor import templates
from analyzer.predictor.base import Predictor

#: The frame a forecaster's predict() takes: one column of ForecastRecord objects.
RECORD_COLUMN = "record"
KEY = "predictor.time_series_predictor_config.forecast"
_VARIABLES = re.compile(r"\$(start_time|target_time_series|related_time_series|static_covariates)\b")
DEFAULT_CONTENT_TEMPLATE = '{"instances": $records}'


@dataclass(frozen=True)
class ForecastRecord:
    start: Any                       # the first timestamp, as in the data
    target: Sequence[float]          # the known history
    related: Sequence[Sequence[float]]   # one list per related series
    static: Sequence[Any]


def default_record_template(related: int, static: int) -> str:
    parts = ['"start": $start_time', '"target": $target_time_series']
    if related:
        parts.append('"dynamic_feat": $related_time_series')
    if static:
        parts.append('"cat": $static_covariates')
    return "{" + ", ".join(parts) + "}"


class ForecastRequestCodec:
    """Request bodies for a batch of forecast records (``encode(frame)`` as the batching predictor expects)."""

    def __init__(self, content_type: str, record_template: str, content_template: str | None) -> None:
        self.content_type = content_type
        self.record_template = record_template
        self.content_template = content_template
        self.one_record_per_request = content_type == JSON and templates.check_json_content_template(
            content_template or DEFAULT_CONTENT_TEMPLATE)

    def render(self, record: ForecastRecord) -> str:
        values = {"start_time": record.start, "target_time_series": [float(v) for v in record.target],
                  "related_time_series": [[float(v) for v in s] for s in record.related],
                  "static_covariates": list(record.static)}
        return _VARIABLES.sub(lambda m: templates.dumps(values[m.group(1)]), self.record_template)

    def encode(self, frame: pd.DataFrame) -> bytes:
        records = [self.render(r) for r in frame[RECORD_COLUMN]]
        if self.content_type == JSONLINES:
            return "\n".join(records).encode("utf-8")
        return templates.render_json_content(self.content_template or DEFAULT_CONTENT_TEMPLATE, records).encode("utf-8")


@functools.lru_cache(maxsize=16)
def _compiled(path: str) -> Any:
    try:
        return jmespath.compile(path)
    except (jmespath.exceptions.JMESPathError, ValueError, TypeError, RecursionError):
        raise ConfigError(f"{KEY}: {path[:80]!r} is not a valid JMESPath expression.") from None


def _is_forecast(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


@dataclass(frozen=True)
class ForecastResponseCodec:
    accept_type: str
    forecast: str
    one_record_per_request: bool

    def _search(self, document: Any) -> Any:
        return _compiled(self.forecast).search(document)

    def decode(self, body: bytes, expected: int) -> ModelOutput:
        try:
            text = body.decode("utf-8")
            if self.accept_type == JSONLINES:
                found = [self._search(json.loads(line)) for line in text.splitlines() if line.strip()]
            else:
                value = self._search(json.loads(text))
                found = [value] if (self.one_record_per_request or expected == 1) and _is_forecast(value) else value
        except UnicodeDecodeError as exc:
            raise ResponseError(f"sent a response that is not UTF-8 text (byte {exc.start})") from None
        except (ValueError, RecursionError):
            raise ResponseError(f"sent a response that is not valid {self.accept_type}") from None
        if not isinstance(found, list) or not all(_is_forecast(v) for v in found):
            shown = json.dumps(found)[:120] if found is not None else "null"
            raise ResponseError(f"answered, but {KEY} ({self.forecast!r}) gives {shown}, not one forecast (a list "
                                "of numbers) per record" + ("; with $records use a projection such as "
                                                            "'predictions[*].mean'" if not self.one_record_per_request
                                                            else ""))
        if len(found) != expected:
            raise CountMismatch(len(found), expected)
        if len({len(v) for v in found}) > 1:
            raise ResponseError(f"returned forecasts of different lengths {sorted({len(v) for v in found})}")
        scores = np.asarray(found, dtype=float)
        if not np.isfinite(scores).all():
            raise ResponseError("returned a forecast value that is not a finite number")
        return ModelOutput(scores=scores, labels=None, score_names=tuple(f"step{i}" for i in range(scores.shape[1])))


def forecast_codecs(config: AnalysisConfig, related: int, static: int) -> tuple[ForecastRequestCodec,
                                                                              ForecastResponseCodec]:
    """The request and response codecs of a forecasting model; template problems are ConfigErrors."""
    predictor = config.predictor
    if predictor is None:
        raise ConfigError("predictor: required for time series explanations.")
    if predictor.in_process:
        raise ConfigError("predictor.in_process: a model file loaded in process (XGBoost, LightGBM, scikit-learn) "
                          "predicts from one row of features and cannot take a series' history; serve the "
                          "forecasting model (endpoint_url, image_uri, endpoint_name or model_name).")
    forecast = (predictor.time_series_predictor_config or {}).get("forecast")
    if not isinstance(forecast, str) or not forecast:
        raise ConfigError(f"{KEY}: required for time series explanations (a JMESPath such as 'predictions.mean').")
    _compiled(forecast)
    content_type = (predictor.content_type or JSON).lower()
    accept = (predictor.accept_type or content_type).lower()
    for key, value in (("content_type", content_type), ("accept_type", accept)):
        if value not in (JSON, JSONLINES):
            raise ConfigError(f"predictor.{key}: {value} cannot carry time series; use {JSON} or {JSONLINES}.")
    if not isinstance(predictor.content_template, (str, type(None))):
        raise ConfigError("predictor.content_template: an object template is not supported; give a string such as "
                          "'{\"instances\": $records}'.")
    record = predictor.record_template or default_record_template(related, static)
    if "$target_time_series" not in record:
        raise ConfigError(f"predictor.record_template: must contain $target_time_series for time series; "
                          f"got {record!r}.")
    request = ForecastRequestCodec(content_type, record, predictor.content_template)
    sample = ForecastRecord("2020-01-01 00:00:00", [0.0, 1.0], [[0.0, 0.0, 0.0]] * related, [0] * static)
    body = request.encode(pd.DataFrame({RECORD_COLUMN: [sample, sample]}))
    for part in body.decode().splitlines() if content_type == JSONLINES else [body.decode()]:
        try:
            json.loads(part)
        except ValueError as exc:
            raise ConfigError(f"predictor.content_template/record_template: the request they make is not valid "
                              f"JSON ({exc}); for example: {part[:200]}") from None
    return request, ForecastResponseCodec(accept, forecast, request.one_record_per_request)


def open_forecaster(config: AnalysisConfig, related: int, static: int) -> AbstractContextManager[Predictor]:
    """A predictor for forecast records on any remote backend (endpoint, model, endpoint_url, image_uri)."""
    from analyzer.predictor.session import _session   # the shared backends, batching and teardown

    request, response = forecast_codecs(config, related, static)   # refuses in-process model files
    assert config.predictor is not None
    return _session(config.predictor, request, response)


def record_frame(records: Sequence[ForecastRecord]) -> pd.DataFrame:
    return pd.DataFrame({RECORD_COLUMN: list(records)})
