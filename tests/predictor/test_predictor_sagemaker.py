"""SageMaker backends against moto's control plane and a real model server behind an
InvokeEndpoint-compatible route: create → wait → invoke → delete, nothing left behind."""
from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from analyzer.errors import EndpointError
from analyzer.predictor import open_predictor
from analyzer.predictor.sagemaker_backend import shadow_names
from predictor_servers import FaultPlan, adult_frame, analysis_config, fault_server, running
from sagemaker_harness import create_endpoint, create_model, sagemaker_services

FRAME = adult_frame(40)
FEATURES = [c for c in FRAME.columns if c != "Target"]


@pytest.fixture
def services(monkeypatch, model_server):
    with sagemaker_services(monkeypatch, model_server) as pair:
        yield pair


def _shadow(**extra):
    return {"model_name": "adult-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
            "accept_type": "application/jsonlines", "label": "predicted_label", "probability": "score", **extra}


def _leftovers(sm):
    return sm.list_endpoints()["Endpoints"], sm.list_endpoint_configs()["EndpointConfigs"]


def test_shadow_endpoint_is_created_used_and_deleted(services, caplog):
    sm, route = services
    create_model(sm, "adult-model")
    config = analysis_config(_shadow(custom_attributes="trace=1", target_model="m1.tar.gz"),
                             label_values_or_threshold=[">50K"])
    with caplog.at_level(logging.INFO, "analyzer.predictor"):
        with open_predictor(config, feature_names=FEATURES) as predictor:
            endpoints, configs = _leftovers(sm)
            assert len(endpoints) == 1 and len(configs) == 1
            assert endpoints[0]["EndpointStatus"] == "InService"
            output = predictor.predict(FRAME[FEATURES])
        assert _leftovers(sm) == ([], [])
    name = endpoints[0]["EndpointName"]
    assert re.fullmatch(r"sm-clarify-adult-model-\d{10}-[0-9a-f]{4}", name)
    assert re.fullmatch(r"sm-clarify-config-\d{10}-[0-9a-f]{4}", configs[0]["EndpointConfigName"])
    assert len(output) == len(FRAME) and set(output.labels) <= {"<=50K", ">50K"}
    assert {c["endpoint"] for c in route.calls} == {name}
    assert {(c["custom_attributes"], c["target_model"], c["accept"]) for c in route.calls} == {
        ("trace=1", "m1.tar.gz", "application/jsonlines")}
    messages = caplog.messages
    order = [messages.index(m) for m in (
        "Spinning up shadow endpoint", f"Creating endpoint: '{name}'", "Endpoint ready.",
        f"Stop using endpoint: {name}", f"Deleting endpoint with name: {name}")]
    assert order == sorted(order)


def test_shadow_endpoint_is_deleted_after_an_error(services):
    sm, _ = services
    create_model(sm, "adult-model")
    config = analysis_config(_shadow())
    with pytest.raises(RuntimeError, match="boom"):
        with open_predictor(config, feature_names=FEATURES):
            raise RuntimeError("boom")
    assert _leftovers(sm) == ([], [])


def test_model_errors_come_back_typed_and_the_endpoint_is_still_deleted(services, monkeypatch):
    sm, route = services
    with running(fault_server(FaultPlan(poison=7.0, poison_alone_ok=False))) as url:
        route.model_url = url
        create_model(sm, "faulty")
        predictor = {k: v for k, v in _shadow(model_name="faulty").items() if k not in ("label", "probability")}
        config = analysis_config({**predictor, "accept_type": "text/csv", "max_retries": 1})
        frame = FRAME[["Age"]].assign(Age=np.arange(len(FRAME), dtype=float))
        with pytest.raises(EndpointError, match=r"endpoint 'sm-clarify-faulty-\d+-[0-9a-f]{4}' failed after 2 attempts; "
                                                r"last error: ModelError: .*\(records 7..7\)"):
            with open_predictor(config, feature_names=["Age"]) as predictor:
                predictor.predict(frame)
    assert _leftovers(sm) == ([], [])


def test_missing_model_fails_before_anything_is_created(services):
    sm, _ = services
    config = analysis_config(_shadow(model_name="nope"))
    with pytest.raises(EndpointError, match="predictor.model_name: cannot use model 'nope': ValidationException"):
        with open_predictor(config, feature_names=FEATURES):
            pass
    assert _leftovers(sm) == ([], [])


def test_existing_endpoint_is_used_and_never_deleted(services, caplog):
    sm, route = services
    create_model(sm, "adult-model")
    create_endpoint(sm, "existing-ep", "adult-model")
    config = analysis_config({"endpoint_name": "existing-ep", "accept_type": "application/json",
                              "content_type": "application/json", "content_template": '{"instances":$records}',
                              "record_template": "$features_kvp", "label": "predictions[*].predicted_label"},
                             label_values_or_threshold=[">50K"])
    with caplog.at_level(logging.INFO, "analyzer.predictor"):
        with open_predictor(config, feature_names=FEATURES) as predictor:
            output = predictor.predict(FRAME[FEATURES])
    assert len(output.labels) == len(FRAME)
    assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["existing-ep"]
    assert "Using endpoint existing-ep" in caplog.messages
    assert not any(m.startswith("Deleting") for m in caplog.messages)


def test_unknown_existing_endpoint_is_a_clear_error(services):
    config = analysis_config({"endpoint_name": "ghost"})
    with pytest.raises(EndpointError, match="Cannot describe endpoint 'ghost': ValidationException"):
        with open_predictor(config, feature_names=FEATURES):
            pass


def test_shadow_names_follow_clarify():
    config_name, endpoint = shadow_names("DEMO-clarify-model-18-04-2022-15-45-13-123", None, now=1650297024)
    assert re.fullmatch(r"sm-clarify-config-1650297024-[0-9a-f]{4}", config_name)
    assert re.fullmatch(r"sm-clarify-DEMO-clarify-model-18-04-2022-15-45--1650297024-[0-9a-f]{4}", endpoint)
    assert len(endpoint) == 63
    _, short = shadow_names("m", "my-prefix", now=1)
    assert re.fullmatch(r"my-prefix-m-1-[0-9a-f]{4}", short)
