"""Text explanations on the predictor backends give the HTTP backend's results: one review classifier
(tests/modality_models.py) served by scripts/model_server over HTTP, behind a SageMaker shadow
endpoint (moto's control plane, an InvokeEndpoint route to the same server) and loaded in process."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "predictor"))

from modality_models import (  # noqa: E402
    assert_same,
    message,
    run_job,
    text_config,
    text_model,
    text_results,
    write_reviews,
)
from predictor_servers import running, serve  # noqa: E402
from sagemaker_harness import create_model, sagemaker_services  # noqa: E402

pytestmark = pytest.mark.slow   # three text jobs, moto's SageMaker server


def test_shadow_endpoint_and_in_process_give_the_http_backends_text_explanations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = text_model(tmp_path / "model")
    data = write_reviews(tmp_path / "reviews.csv")
    with running(serve.build_server(model_dir, "127.0.0.1", 0)) as url:
        code, out = run_job(tmp_path / "http", text_config(endpoint_url=f"{url}/invocations"), data)
        assert code == 0, message(tmp_path / "http")
        expected = text_results(out)
        with sagemaker_services(monkeypatch, url) as (sm, route):
            create_model(sm, "reviews")
            shadow = text_config(model_name="reviews", instance_type="ml.m5.xlarge", initial_instance_count=1)
            code, out = run_job(tmp_path / "shadow", shadow, data)
            assert code == 0, message(tmp_path / "shadow")
            assert text_results(out) == expected
            assert route.calls and sm.list_endpoints()["Endpoints"] == []
    in_process = text_config(in_process=True, model_data=str(model_dir), allow_pickle=True)
    code, out = run_job(tmp_path / "in_process", in_process, data)
    assert code == 0, message(tmp_path / "in_process")
    assert_same(text_results(out), expected)     # a batch at once: equal to the last bits
    top = expected["kernel_shap"]["label0"]["global_top_shap_text"]["Review Text"]
    assert set(top) & {"love", "great", "perfect", "comfortable", "poor", "cheap", "awful", "small"}
    for line in expected["lines"]:
        feature = line["explanations"][0]
        assert feature["feature_name"] == "Review Text" and len(feature["attributions"]) >= 6
