"""Time-series explanations on every predictor backend give the HTTP backend's results: the forecaster
of tests/forecast_model.py over HTTP and behind a SageMaker shadow and existing endpoint (moto's
control plane, an InvokeEndpoint route to the same server); model files in process are refused in
one line by ``validate`` and ``run`` alike. (The local model container:
tests/integration/test_modality_containers.py.)"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "predictor"))

from forecast_model import ForecastModel, serving  # noqa: E402
from modality_models import explain_series, message, run_job, time_series_config, write_series  # noqa: E402
from sagemaker_harness import create_endpoint, create_model, sagemaker_services  # noqa: E402

pytestmark = pytest.mark.slow   # four forecasting jobs, moto's SageMaker server


def test_every_remote_backend_gives_the_http_backends_time_series_explanations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stage as the job runs it (tests/test_time_series_explanations.py runs whole jobs over HTTP)."""
    data = write_series(tmp_path / "series.json")
    model = ForecastModel.fitted()
    with serving(model) as url:
        expected = explain_series(time_series_config(endpoint_url=url), data, tmp_path / "http")
        http_requests = len(model.requests)
        with sagemaker_services(monkeypatch, url.removesuffix("/invocations")) as (sm, route):
            create_model(sm, "forecaster")
            shadow = time_series_config(model_name="forecaster", instance_type="ml.m5.xlarge",
                                        initial_instance_count=1)
            assert explain_series(shadow, data, tmp_path / "shadow") == expected
            assert sm.list_endpoints()["Endpoints"] == []            # the shadow endpoint is gone
            shadow_calls = len(route.calls)
            create_endpoint(sm, "forecasts", "forecaster")
            assert explain_series(time_series_config(endpoint_name="forecasts"), data, tmp_path / "existing") \
                == expected
    assert shadow_calls > 0 and {c["endpoint"] for c in route.calls[shadow_calls:]} == {"forecasts"}
    assert {c["content_type"] for c in route.calls} == {"application/json"}
    assert len(model.requests) == http_requests + len(route.calls)   # every forecast came from the model
    lines = expected["lines"]
    assert [line["item_id"] for line in lines] == ["a", "b"]
    records = sorted(json.loads(data.read_text()), key=lambda r: r["timestamp"])
    for line in lines:   # efficiency: offset = forecast(zero baseline), contributions add up to the rest
        rows = [r for r in records if r["item_id"] == line["item_id"]]
        item = {"target": [r["p_mbar"] for r in rows if "p_mbar" in r],
                "dynamic_feat": [[r["rain_mm"] for r in rows], [r["T_degC"] for r in rows]]}
        zero = {"target": [0.0] * len(item["target"]), "dynamic_feat": [[0.0] * len(rows)] * 2}
        np.testing.assert_allclose(line["offset"], model.forecast(zero), atol=1e-9)
        total = np.sum([e["scores"] for e in line["explanations"]], axis=0)
        np.testing.assert_allclose(total, np.array(model.forecast(item)) - model.forecast(zero), atol=1e-9)


def test_model_files_in_process_are_refused_for_time_series(tmp_path: Path) -> None:
    from analyzer.cli import main

    config = time_series_config(in_process=True, model_data=str(tmp_path / "model.joblib"))
    del config["predictor"]["content_template"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert main(["validate", str(tmp_path / "config.json")]) == 2
    code, _ = run_job(tmp_path / "run", config, write_series(tmp_path / "series.json"))
    text = message(tmp_path / "run")
    assert code == 2 and "predictor.in_process: a model file loaded in process" in text
    assert "cannot take a series' history" in text and "\n" not in text.strip()
