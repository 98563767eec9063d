"""Image explanations through the whole job: a colour classifier and a colour-blob object detector
served over HTTP, configs from the SageMaker SDK's ImageConfig, analysis.json's image_kernel_shap
entries and the heat-map files, checked against the in-process computation and efficiency."""
from __future__ import annotations

import io
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from analyzer.cli import main
from analyzer.explain.image_segments import slic_segments, white_noise
from analyzer.explain.image_shap import segment_kernel_shap
from analyzer.predictor.image_codecs import encode_image

pytestmark = pytest.mark.slow  # serves models over HTTP, writes the reports

CLASSES = ["red", "green", "blue"]


def _picture(seed: int, size: int = 48) -> np.ndarray:
    """A smooth background with a red and a blue square (SLIC finds them as segments)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    image = np.stack([60 + xx, 90 + yy, 70 + (xx + yy) // 2], -1).astype(np.uint8)
    r0, c0 = rng.integers(2, size // 2 - 12, size=2)
    image[r0:r0 + 12, c0:c0 + 12] = (230, 20, 20)
    image[size - 16:size - 4, size - 16:size - 4] = (20, 20, 230)
    return image


def classify(batch: np.ndarray) -> np.ndarray:
    """Softmax of the mean of each channel (a rule with a known answer: colour decides)."""
    means = batch.reshape(len(batch), -1, 3).mean(axis=1) / 40.0
    e = np.exp(means - means.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def detect(image: np.ndarray) -> list[list[float]]:
    """One detection per colour (its largest blob): [class, score, x0, y0, x1, y1], normalised corners."""
    h, w = image.shape[:2]
    r, g, b = (image[..., i].astype(int) for i in range(3))
    out = []
    for class_id, mask in ((0, (r > 150) & (g < 90) & (b < 90)), (2, (b > 150) & (r < 90) & (g < 90))):
        parts, count = ndimage.label(mask)   # the largest connected blob (noise pixels stay apart)
        if count == 0:
            continue
        sizes = np.bincount(parts.ravel())[1:]
        ys, xs = np.nonzero(parts == 1 + int(np.argmax(sizes)))
        if len(ys) < 4:
            continue
        score = min(1.0, len(ys) / 144.0)
        out.append([class_id, score, xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h])
    return out + [[-1, -1, -1, -1, -1, -1]]   # padding, as MXNet detectors send


def _decode(body: bytes, content_type: str) -> np.ndarray:
    if content_type == "application/x-npy":
        return np.load(io.BytesIO(body), allow_pickle=False)
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))[None]


@contextmanager
def serving(kind: str) -> Iterator[tuple[str, list]]:
    seen: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            batch = _decode(body, self.headers["Content-Type"])
            seen.append((self.headers["Content-Type"], self.headers["Accept"], len(batch)))
            if kind == "classifier":
                answer = classify(batch).tolist()
                answer = answer[0] if len(batch) == 1 and self.headers["Content-Type"] != "application/x-npy" \
                    else answer
            elif self.headers["Content-Type"] == "application/x-npy":
                answer = [detect(image) for image in batch]
            else:
                answer = {"prediction": detect(batch[0])}
            out = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/invocations", seen
    finally:
        server.shutdown()
        server.server_close()


def _images(folder: Path, count: int, suffix: str = ".png") -> list[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    pictures = [_picture(i) for i in range(count)]
    for i, picture in enumerate(pictures):
        Image.fromarray(picture).save(folder / f"img{i}{suffix}")
    return pictures


def _run(tmp_path: Path, config: dict, data: Path) -> int:
    (tmp_path / "config.json").write_text(json.dumps(config))
    return main(["run", "--config", str(tmp_path / "config.json"), "--data", str(data),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])


def _sdk_config(model_type: str, content_type: str, **image) -> dict:
    clarify = pytest.importorskip("sagemaker.clarify")
    data = clarify.DataConfig(s3_data_input_path="s3://bucket/images/", s3_output_path="s3://bucket/out",
                              dataset_type="application/x-image")
    model = clarify.ModelConfig(model_name="cv", instance_type="ml.m5.xlarge", instance_count=1,
                                content_type=content_type)
    scores = clarify.ModelPredictedLabelConfig(label_headers=CLASSES, probability_threshold=0.8)
    shap = clarify.SHAPConfig(num_samples=80, seed=4, image_config=clarify.ImageConfig(model_type=model_type,
                                                                                          **image))
    return clarify._AnalysisConfigGenerator.explainability(data, model, scores, shap)


def _served(config: dict, url: str) -> dict:
    """The SDK's config unchanged except that the model is the test server, not a shadow endpoint."""
    predictor = {k: v for k, v in config["predictor"].items()
                 if k not in ("model_name", "instance_type", "initial_instance_count")}
    return {**config, "predictor": {**predictor, "endpoint_url": url}}


def test_sdk_classification_config_over_http_matches_the_in_process_computation(tmp_path: Path) -> None:
    pictures = _images(tmp_path / "images", 2)
    config = _sdk_config("IMAGE_CLASSIFICATION", "image/jpeg", num_segments=8, segment_compactness=10)
    with serving("classifier") as (url, seen):
        assert _run(tmp_path, _served(config, url), tmp_path / "images") == 0
    assert {(c, a) for c, a, _ in seen} == {("image/jpeg", "application/json")} and {n for *_, n in seen} == {1}
    section = json.loads((tmp_path / "out" / "analysis.json").read_text())["explanations"]["image_kernel_shap"]
    assert section["model_type"] == "IMAGE_CLASSIFICATION" and section["baseline"] == "white noise (seed 4)"
    for entry, picture in zip(section["images"], pictures):
        labels = slic_segments(picture, 8, 10)
        assert entry["segments"] == labels.max() + 1 and len(entry["shap_values"]) == entry["segments"]

        def served_model(batch: np.ndarray) -> np.ndarray:  # what the server computes: JPEG round trip
            return classify(np.stack([_decode(encode_image(b, "image/jpeg"), "image/jpeg")[0] for b in batch]))

        expected = segment_kernel_shap(served_model, picture, white_noise(48, 48, 4), labels, num_samples=80, seed=4)
        top = int(np.argmax(expected.prediction))
        assert entry["predicted_label"] == CLASSES[top]
        np.testing.assert_allclose(entry["shap_values"], expected.values[:, top], atol=1e-9)
        assert sum(entry["shap_values"]) == pytest.approx(entry["score"] - entry["expected_value"], abs=1e-9)
        assert (tmp_path / "out" / entry["heat_map"]).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    html = (tmp_path / "out" / "report.html").read_text()
    assert "shap_img0.jpeg" in html and "data:image/jpeg;base64," in html


def test_sdk_object_detection_config_explains_the_blobs(tmp_path: Path) -> None:
    pictures = _images(tmp_path / "images", 1)
    config = _sdk_config("OBJECT_DETECTION", "application/x-npy", num_segments=12, segment_compactness=10,
                         max_objects=2, iou_threshold=0.5, context=1.0)
    with serving("detector") as (url, seen):
        assert _run(tmp_path, _served(config, url), tmp_path / "images") == 0
    out = tmp_path / "out"
    entry = json.loads((out / "analysis.json").read_text())["explanations"]["image_kernel_shap"]["images"][0]
    assert entry["detections"] == 2 and [o["label"] for o in entry["objects"]] == ["red", "blue"]
    # context 1: both objects share one game, so one set of model calls (npy requests carry batches)
    assert max(n for *_, n in seen) > 1 and sum(n for *_, n in seen) == 1 + entry["objects"][0]["num_samples"] + 2
    labels = slic_segments(pictures[0], 12, 10)
    for obj, colour in zip(entry["objects"], ((230, 20, 20), (20, 20, 230))):
        assert obj["score"] == pytest.approx(1.0)
        values = np.array(obj["shap_values"])
        assert values.sum() == pytest.approx(obj["matched_score"] - obj["expected_value"], abs=1e-9)
        blob = np.unique(labels[(pictures[0] == colour).all(axis=-1)])
        assert set(np.argsort(-values)[:len(blob)]) == set(blob.tolist())  # the blob's segments matter most
    assert (out / "img0_objects.jpeg").exists()
    assert [o["heat_map"] for o in entry["objects"]] == ["shap_img0_box1.jpeg", "shap_img0_box2.jpeg"]


def test_detection_with_no_context_and_the_built_in_response_format(tmp_path: Path) -> None:
    _images(tmp_path / "images", 1)
    Image.fromarray(np.full((10, 10, 3), 128, np.uint8)).save(tmp_path / "grey.png")  # resized to the input
    config = {"dataset_type": "application/x-image", "probability_threshold": 0.5,
              "methods": {"shap": {"num_samples": 60, "seed": 1, "baseline": str(tmp_path / "grey.png"),
                                   "image_config": {"model_type": "OBJECT_DETECTION", "num_segments": 12,
                                                    "max_objects": 3, "context": 0.0}}},
              "predictor": {"content_type": "image/png", "label_headers": CLASSES}}
    with serving("detector") as (url, seen):
        config["predictor"]["endpoint_url"] = url
        assert _run(tmp_path, config, tmp_path / "images") == 0
    assert {c for c, *_ in seen} == {"image/png"}
    entry = json.loads((tmp_path / "out" / "analysis.json").read_text())["explanations"]["image_kernel_shap"]
    assert entry["baseline"] == str(tmp_path / "grey.png")
    objects = entry["images"][0]["objects"]
    assert [o["label"] for o in objects] == ["red", "blue"]
    assert len(seen) == 1 + sum(o["num_samples"] + 2 for o in objects)   # one game per object, PNG each
    for obj in objects:  # context 0: only segments inside the box are players, and the box alone still detects
        assert obj["segments"] < entry["images"][0]["segments"]
        assert obj["matched_score"] == pytest.approx(1.0)
        assert sum(obj["shap_values"]) == pytest.approx(obj["matched_score"] - obj["expected_value"], abs=1e-9)


def test_an_unreadable_image_is_named_before_any_model_call(tmp_path: Path) -> None:
    _images(tmp_path / "images", 1)
    (tmp_path / "images" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    config = {"dataset_type": "application/x-image",
              "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
              "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations"}}
    assert _run(tmp_path, config, tmp_path / "images") == 3
    message = (tmp_path / "ml" / "output" / "message").read_text()
    assert "broken.jpg" in message and "Traceback" not in message
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_an_image_over_the_payload_limit_is_named(tmp_path: Path) -> None:
    _images(tmp_path / "images", 1)
    config = {"dataset_type": "application/x-image",
              "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
              "predictor": {"content_type": "image/png", "max_payload_mb": 0.001}}
    with serving("classifier") as (url, seen):
        config["predictor"]["endpoint_url"] = url
        assert _run(tmp_path, config, tmp_path / "images") == 4
    message = (tmp_path / "ml" / "output" / "message").read_text()
    assert message.startswith("ClientError: Image img0.png: ") and "payload limit" in message

