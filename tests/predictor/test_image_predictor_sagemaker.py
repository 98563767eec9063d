"""Image requests through the SageMaker backends (moto's control plane, an InvokeEndpoint route to a
real image model server): a shadow endpoint for a classifier, an existing one for a detector."""
from __future__ import annotations

import io
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
from PIL import Image

from analyzer.config import parse_config
from analyzer.predictor import image_frame, open_predictor
from predictor_servers import running
from sagemaker_harness import create_endpoint, create_model, sagemaker_services

pytestmark = pytest.mark.slow   # moto's SageMaker server and endpoint waits

IMAGES = np.random.default_rng(1).integers(0, 256, (3, 6, 5, 3), dtype=np.uint8)


def _server() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            image = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"), dtype=float)
            red = float(image[..., 0].mean() / 255)
            answer: Any = [red, 1 - red]   # PNG: a classifier; JPEG: a detector (built-in format)
            if self.headers["Content-Type"] == "image/jpeg":
                answer = {"prediction": [[0, red, 0.1, 0.1, 0.6, 0.6]]}
            out = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *_: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def _config(model_type: str, predictor: dict) -> Any:
    return parse_config({"dataset_type": "application/x-image",
                         "methods": {"shap": {"image_config": {"model_type": model_type}}}, "predictor": predictor})


def test_images_through_a_shadow_and_an_existing_endpoint(monkeypatch) -> None:
    with running(_server()) as model_url, sagemaker_services(monkeypatch, model_url) as (sm, route):
        create_model(sm, "cv-model")
        shadow = _config("IMAGE_CLASSIFICATION", {"model_name": "cv-model", "instance_type": "ml.m5.xlarge",
                                                  "initial_instance_count": 1, "content_type": "image/png"})
        with open_predictor(shadow, feature_names=["image"]) as predictor:
            scores = predictor.predict(image_frame(IMAGES)).scores
        np.testing.assert_allclose(scores[:, 0], IMAGES[..., 0].mean(axis=(1, 2)) / 255)   # PNG: exact pixels
        assert [c["content_type"] for c in route.calls] == ["image/png"] * 3
        assert sm.list_endpoints()["Endpoints"] == []

        create_endpoint(sm, "detector", "cv-model")
        detector = _config("OBJECT_DETECTION", {"endpoint_name": "detector"})
        with open_predictor(detector, feature_names=["image"]) as predictor:
            labels = predictor.predict(image_frame(IMAGES[:2])).labels
        assert [len(rows) for rows in labels] == [1, 1] and labels[0][0][0] == 0
        assert route.calls[-1]["content_type"] == "image/jpeg" and route.calls[-1]["accept"] == "application/json"
