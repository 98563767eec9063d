"""The local model-container backend with a real Docker engine: the example model server image runs
``serve`` with the model at /opt/ml/model, and the container is gone after success, after an
exception and after SIGTERM to the analyzer process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "predictor"))

from analyzer.predictor import open_predictor  # noqa: E402
from analyzer.predictor.container_backend import CONTAINER_LABEL, OWNER_ENV, OWNER_LABEL  # noqa: E402
from predictor_servers import adult_frame, analysis_config, running, serve, small_model  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.slow]



# This run's containers only: other test runs (or jobs) may share the engine.
RUN_OWNER = f"tests-{os.getpid()}-{time.time_ns()}"


@pytest.fixture(autouse=True)
def _own_containers(monkeypatch) -> None:
    monkeypatch.setenv(OWNER_ENV, RUN_OWNER)   # inherited by the analyzer subprocess of the SIGTERM test


def _model_containers(client) -> list:
    return client.containers.list(all=True, filters={"label": [f"{CONTAINER_LABEL}=model",
                                                               f"{OWNER_LABEL}={RUN_OWNER}"]})


@pytest.fixture(scope="module")
def model_image(model_server_image) -> str:
    return model_server_image   # built once per session (tests/integration/conftest.py)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return small_model(tmp_path_factory.mktemp("container_model"))


@pytest.fixture
def no_leftovers(docker_client):
    before = {c.id for c in _model_containers(docker_client)}
    yield
    left = [c.name for c in _model_containers(docker_client) if c.id not in before]
    assert left == [], f"model containers left behind: {left}"


def _config(image: str, model_data: Path, **extra):
    return analysis_config({"image_uri": image, "model_data": str(model_data), "accept_type": "application/jsonlines",
                            "label": "predicted_label", "probability": "score", **extra},
                           label_values_or_threshold=[">50K"])


def test_container_predictions_match_the_process_server(docker_client, model_image, model_dir, no_leftovers):
    frame = adult_frame(300).drop(columns=["Target"])
    config = _config(model_image, model_dir / "model.tar.gz")
    with open_predictor(config, feature_names=list(frame.columns)) as predictor:
        assert len(_model_containers(docker_client)) >= 1
        in_container = predictor.predict(frame)
    with running(serve.build_server(model_dir, "127.0.0.1", 0)) as url:
        local = _local_config(config, url)
        with open_predictor(local, feature_names=list(frame.columns)) as predictor:
            expected = predictor.predict(frame)
    np.testing.assert_allclose(in_container.scores, expected.scores)
    assert in_container.labels.tolist() == expected.labels.tolist()


def _local_config(config, url):
    predictor = {k: v for k, v in config.raw["predictor"].items() if k not in ("image_uri", "model_data")}
    return analysis_config({**predictor, "endpoint_url": f"{url}/invocations"}, label_values_or_threshold=[">50K"])


def test_container_is_removed_after_an_exception(docker_client, model_image, model_dir, no_leftovers):
    with pytest.raises(RuntimeError, match="boom"):
        with open_predictor(_config(model_image, model_dir), feature_names=["Age"]):
            raise RuntimeError("boom")


def test_a_container_that_cannot_serve_reports_its_logs(docker_client, model_image, tmp_path, no_leftovers):
    from analyzer.errors import EndpointError

    (tmp_path / "empty").mkdir()
    with pytest.raises(EndpointError, match="exited before answering /ping. Its last log lines:(.|\n)*no model.joblib"):
        with open_predictor(_config(model_image, tmp_path / "empty"), feature_names=["Age"]):
            pass


def test_local_mode_model_resolves_image_and_data_with_describe_model(docker_client, model_image, model_dir,
                                                                     monkeypatch, no_leftovers):
    from sagemaker_harness import create_model, sagemaker_services

    frame = adult_frame(20).drop(columns=["Target"])
    with sagemaker_services(monkeypatch, "http://127.0.0.1:9") as (sm, _route):
        create_model(sm, "local-model", image=model_image, data=str(model_dir / "model.tar.gz"))
        config = analysis_config({"model_name": "local-model", "instance_type": "local", "initial_instance_count": 1,
                                  "accept_type": "application/jsonlines", "probability": "score"})
        with open_predictor(config, feature_names=list(frame.columns)) as predictor:
            output = predictor.predict(frame)
    assert output.scores.shape == (20, 1)
    assert sm is not None


def test_sigterm_to_the_analyzer_removes_the_container(docker_client, model_image, model_dir, tmp_path, no_leftovers):
    data = tmp_path / "data.csv"
    adult_frame(3000).to_csv(data, index=False)
    config = {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
              "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
              "methods": {"post_training_bias": {"methods": ["DPPL"]}},
              # ~20 records per request and one request at a time: the run lasts long enough to interrupt.
              "predictor": {"image_uri": model_image, "model_data": str(model_dir), "max_payload_mb": 0.002,
                            "max_concurrency": 1, "accept_type": "application/jsonlines",
                            "label": "predicted_label", "probability": "score"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "run", "--config", str(tmp_path / "config.json"), "--data", str(data),
         "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "opt_ml")],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stderr:
            lines.append(line)
            if "answered /ping" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(120), "the model container never became ready:\n" + "".join(lines[-30:])
        time.sleep(0.5)
        assert process.poll() is None, "the run ended before it could be interrupted:\n" + "".join(lines[-30:])
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 143, "".join(lines[-30:])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)
        process.stderr.close()
    text = "".join(lines)
    assert "Signal 15 received, cleaning up" in text and "Removing model container" in text
    assert (tmp_path / "opt_ml" / "output" / "message").read_text().startswith("Stopped:")
    assert not (tmp_path / "out" / "analysis.json").exists()
