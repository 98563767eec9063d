"""Forecast requests and responses (``time_series_predictor_config``): Clarify's time-series template
variables, $record / $records / JSON Lines, the ``forecast`` JMESPath, every bad answer typed; and the
SageMaker SDK's own time-series config running unchanged against an endpoint (moto + a runtime route)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.cli import main
from analyzer.config import parse_config
from analyzer.errors import ConfigError
from analyzer.formats.responses import CountMismatch, ResponseError
from analyzer.predictor.forecast import ForecastRecord, forecast_codecs, open_forecaster, record_frame
from forecast_model import ForecastModel, serving, weather_records

RECORD = '{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series, ' \
         '"cat": $static_covariates}'
A = ForecastRecord("2020-01-01 16:20:00", [1.0, 2.5], [[0.5, 0.25, 0.0]], [3])
B = ForecastRecord(7, [4.0], [[1.0, 2.0]], ["red"])


def _config(**predictor) -> object:
    return parse_config({
        "dataset_type": "application/json", "methods": {"asymmetric_shapley_value": {}},
        "time_series_data_config": {"item_id": 0, "timestamp": 1, "target_time_series": 2},
        "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations",
                      "time_series_predictor_config": {"forecast": "predictions[*].mean"}, **predictor}})


def test_records_render_every_template_variable() -> None:
    request, _ = forecast_codecs(_config(record_template=RECORD, content_template='{"instances": $records}'), 1, 1)
    body = json.loads(request.encode(record_frame([A, B])))
    assert body == {"instances": [
        {"start": "2020-01-01 16:20:00", "target": [1.0, 2.5], "dynamic_feat": [[0.5, 0.25, 0.0]], "cat": [3]},
        {"start": 7, "target": [4.0], "dynamic_feat": [[1.0, 2.0]], "cat": ["red"]}]}
    assert not request.one_record_per_request


def test_defaults_are_deepar_and_record_means_one_per_request() -> None:
    request, response = forecast_codecs(_config(content_template="$record"), 1, 0)
    assert request.one_record_per_request and response.one_record_per_request
    assert json.loads(request.encode(record_frame([A]))) == {"start": "2020-01-01 16:20:00", "target": [1.0, 2.5],
                                                             "dynamic_feat": [[0.5, 0.25, 0.0]]}
    request, _ = forecast_codecs(_config(), 0, 2)
    assert json.loads(request.encode(record_frame([A]))) == {"instances": [
        {"start": "2020-01-01 16:20:00", "target": [1.0, 2.5], "cat": [3]}]}


def test_jsonlines_requests_and_answers_have_one_record_per_line() -> None:
    request, response = forecast_codecs(_config(content_type="application/jsonlines",
                                                 accept_type="application/jsonlines", record_template=RECORD,
                                                 time_series_predictor_config={"forecast": "mean"}), 1, 1)
    lines = request.encode(record_frame([A, B])).decode().splitlines()
    assert [json.loads(line)["start"] for line in lines] == ["2020-01-01 16:20:00", 7]
    out = response.decode(b'{"mean": [1, 2]}\n{"mean": [3, 4.5]}\n', 2)
    np.testing.assert_array_equal(out.scores, [[1, 2], [3, 4.5]])


def test_forecasts_are_read_with_the_jmespath() -> None:
    _, many = forecast_codecs(_config(), 0, 0)
    out = many.decode(json.dumps({"predictions": [{"mean": [1, 2, 3]}, {"mean": [4, 5, 6]}]}).encode(), 2)
    np.testing.assert_array_equal(out.scores, [[1, 2, 3], [4, 5, 6]])
    _, one = forecast_codecs(_config(content_template='{"instances": $record}',
                                     time_series_predictor_config={"forecast": "predictions.mean"}), 0, 0)
    np.testing.assert_array_equal(one.decode(b'{"predictions": {"mean": [7, 8]}}', 1).scores, [[7, 8]])


@pytest.mark.parametrize("body,expected,error,text", [
    (b'{"predictions": {"mean": [1, 2]}}', 2, ResponseError, r"predictions\[\*\]\.mean"),
    (b'{"predictions": [{"mean": [1, 2]}]}', 2, CountMismatch, "returned 1 predictions for a batch of 2"),
    (b'{"predictions": [{"mean": [1, 2]}, {"mean": [1]}]}', 2, ResponseError, "different lengths"),
    (b'{"predictions": [{"mean": [1, NaN]}]}', 1, ResponseError, "not a finite number"),
    (b'{"predictions": [{"mean": ["1"]}]}', 1, ResponseError, "not one forecast"),
    (b'{"predictions": [{"mean": []}]}', 1, ResponseError, "not one forecast"),
    (b"not json", 1, ResponseError, "not valid application/json"),
    (b"\xff\xfe", 1, ResponseError, "not UTF-8"),
])
def test_bad_answers_are_typed(body: bytes, expected: int, error: type, text: str) -> None:
    _, response = forecast_codecs(_config(), 0, 0)
    with pytest.raises(error, match=text):
        response.decode(body, expected)


@pytest.mark.parametrize("predictor,text", [
    ({"time_series_predictor_config": {"forecast": "predictions[*"}}, "not a valid JMESPath"),
    ({"content_type": "text/csv"}, "predictor.content_type: text/csv cannot carry time series"),
    ({"accept_type": "text/csv"}, "predictor.accept_type: text/csv"),
    ({"record_template": '{"start": $start_time}'}, "must contain \\$target_time_series"),
    ({"content_template": '{"instances": $features}'}, "must contain \\$record or \\$records"),
    ({"record_template": '{"target": $target_time_series,}'}, "not valid JSON"),
])
def test_bad_request_settings_are_config_errors(predictor: dict, text: str) -> None:
    with pytest.raises(ConfigError, match=text):
        forecast_codecs(_config(**predictor), 1, 0)


def test_model_files_in_process_cannot_forecast() -> None:
    with pytest.raises(ConfigError, match="in_process"):
        open_forecaster(_config(in_process=True, model_data="/m.joblib"), 0, 0)


def test_a_served_model_forecasts_through_the_batching_predictor() -> None:
    model = ForecastModel.fitted()
    records = [ForecastRecord(0, [10.0 + i, 11.0], [[0.1 * i] * 5, [0.2] * 5], [1.0]) for i in range(40)]
    with serving(model) as url:
        config = _config(endpoint_url=url, record_template=RECORD, max_payload_mb=0.001)
        with open_forecaster(config, 2, 1) as predictor:
            scores = predictor.predict(record_frame(records)).scores
    assert scores is not None and scores.shape == (40, 3)
    expected = [model.forecast({"target": r.target, "dynamic_feat": r.related, "cat": r.static}) for r in records]
    np.testing.assert_allclose(scores, expected)
    assert len(model.requests) > 1                     # split by the payload limit, results in order


# -- the SDK's config, unchanged, against an endpoint ------------------------------------------------------
@pytest.mark.slow   # moto's server and a whole job
def test_the_sdks_time_series_config_runs_unchanged_on_an_endpoint(tmp_path: Path, monkeypatch) -> None:
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    clarify = pytest.importorskip("sagemaker.clarify")
    from sagemaker_harness import create_endpoint, create_model, sagemaker_services

    data = clarify.DataConfig(
        s3_data_input_path="s3://bucket/in.json", s3_output_path="s3://bucket/out", dataset_type="application/json",
        headers=["item_id", "timestamp", "p_mbar", "rain_mm", "T_degC"],
        time_series_data_config=clarify.TimeSeriesDataConfig(
            target_time_series="[].p_mbar", item_id="[].item_id", timestamp="[].timestamp",
            related_time_series=["[].rain_mm", "[].T_degC"],
            dataset_format=clarify.TimeSeriesJSONDatasetFormat.TIMESTAMP_RECORDS))
    model_config = clarify.ModelConfig(
        endpoint_name="tsx-endpoint", content_type="application/json", accept_type="application/json",
        content_template='{"instances": $record}',
        record_template='{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series}',
        time_series_model_config=clarify.TimeSeriesModelConfig(forecast="predictions.mean"))
    method = clarify.AsymmetricShapleyValueConfig(
        direction="chronological", granularity="fine_grained", num_samples=2,
        baseline={"related_time_series": "zero", "target_time_series": "zero"})
    config = clarify._AnalysisConfigGenerator.explainability(data, model_config, None, method)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "data.json").write_text(json.dumps(weather_records({"sanjose": 2}, horizon=1)))
    model = ForecastModel.fitted()
    with serving(model) as url, sagemaker_services(monkeypatch, url.removesuffix("/invocations")) as (sm, route):
        create_model(sm, "tsx-model")
        create_endpoint(sm, "tsx-endpoint", "tsx-model")
        code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.json"),
                     "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])
    assert code == 0
    assert {c["endpoint"] for c in route.calls} == {"tsx-endpoint"}
    lines = (tmp_path / "out" / "asymmetric_shapley_value" / "fine_grained_chronological" / "out.jsonl").read_text()
    assert [json.loads(line)["item_id"] for line in lines.splitlines()] == ["sanjose"]
    assert pd.read_json(tmp_path / "out" / "analysis.json", typ="series")["explanations"][
        "asymmetric_shapley_value"]["granularity"] == "fine_grained"


_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
                       lambda c: st.one_of(st.lists(c, max_size=4),
                                           st.dictionaries(st.sampled_from(["predictions", "mean", "x"]), c,
                                                           max_size=3)), max_leaves=20)


_RESPONSES = {single: forecast_codecs(_config(content_template='{"instances": $record}' if single else "$records"),
                                      0, 0)[1] for single in (True, False)}


@settings(max_examples=150, deadline=None, database=None)
@given(_VALUES, st.integers(1, 3), st.booleans())
def test_fuzzed_answers_raise_only_response_errors(document, expected: int, single: bool) -> None:
    response = _RESPONSES[single]
    try:
        out = response.decode(json.dumps(document).encode(), expected)
    except ResponseError:   # CountMismatch included
        return
    assert out.scores is not None and out.scores.shape[0] == expected and np.isfinite(out.scores).all()
