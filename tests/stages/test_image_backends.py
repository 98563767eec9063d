"""Image explanations on every predictor backend give the HTTP backend's results: one pixel classifier
(tests/modality_models.py) served by scripts/model_server over HTTP, behind a SageMaker existing and
shadow endpoint (moto's control plane, an InvokeEndpoint route to the same server) and loaded in
process; the same analysis.json section and heat maps every time. (The local model container:
tests/integration/test_modality_containers.py.)"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "predictor"))

from modality_models import (  # noqa: E402
    CLASSES,
    assert_same,
    image_config,
    image_results,
    message,
    pixel_model,
    run_job,
    write_images,
)
from predictor_servers import running, serve  # noqa: E402
from sagemaker_harness import create_endpoint, create_model, sagemaker_services  # noqa: E402

pytestmark = pytest.mark.slow   # five image jobs, moto's SageMaker server


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pixel_model(tmp_path_factory.mktemp("pixel_model"))


def test_every_backend_gives_the_http_backends_image_explanations(tmp_path: Path, model_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    images = write_images(tmp_path / "images", 2)
    with running(serve.build_server(model_dir, "127.0.0.1", 0)) as url:
        code, out = run_job(tmp_path / "http", image_config(endpoint_url=f"{url}/invocations"), images)
        assert code == 0, message(tmp_path / "http")
        expected = image_results(out)
        with sagemaker_services(monkeypatch, url) as (sm, route):
            create_model(sm, "pixels")
            shadow = image_config(model_name="pixels", instance_type="ml.m5.xlarge", initial_instance_count=1)
            code, out = run_job(tmp_path / "shadow", shadow, images)
            assert code == 0, message(tmp_path / "shadow")
            assert image_results(out) == expected
            assert sm.list_endpoints()["Endpoints"] == []            # the shadow endpoint is gone
            shadow_calls = len(route.calls)
            create_endpoint(sm, "pixels", "pixels")
            code, out = run_job(tmp_path / "existing", image_config(endpoint_name="pixels"), images)
            assert code == 0, message(tmp_path / "existing")
            assert image_results(out) == expected
            assert {c["content_type"] for c in route.calls} == {"image/jpeg"}
            assert shadow_calls > 0 and "pixels" not in {c["endpoint"] for c in route.calls[:shadow_calls]}
            assert {c["endpoint"] for c in route.calls[shadow_calls:]} == {"pixels"}
    in_process = image_config(in_process=True, model_data=str(model_dir), allow_pickle=True)
    code, out = run_job(tmp_path / "in_process", in_process, images)
    assert code == 0, message(tmp_path / "in_process")
    assert_same(image_results(out)["section"], expected["section"])   # a batch at once: to the last bits
    section = expected["section"]
    assert [e["predicted_label"] for e in section["images"]] == [CLASSES[c] for c in _true_classes(2)]
    for entry in section["images"]:   # efficiency: the explanation adds up to the score
        assert entry["segments"] >= 6 and len(entry["shap_values"]) == entry["segments"]
        assert sum(entry["shap_values"]) == pytest.approx(entry["score"] - entry["expected_value"], abs=1e-9)


def _true_classes(count: int) -> list[int]:
    from modality_models import picture

    return [picture(1000 + i)[1] for i in range(count)]


def test_in_process_pixels_are_what_the_model_server_decodes() -> None:
    """JPEG is lossy: the in-process model sees the pixels a server decodes from the request."""
    from analyzer.predictor.image_codecs import (
        JPEG,
        NPY,
        PNG,
        ImageRequestCodec,
        decode_image,
        encode_image,
        image_frame,
        pixel_frame,
    )

    images = np.random.default_rng(0).integers(0, 256, (2, 5, 4, 3), dtype=np.uint8)
    rows = pixel_frame(image_frame(images), JPEG).to_numpy()
    for image, row in zip(images, rows):
        body = encode_image(image, JPEG)
        np.testing.assert_array_equal(row, serve.pixel_rows(body, JPEG)[0])
        np.testing.assert_array_equal(row, decode_image(body).reshape(-1))
    np.testing.assert_array_equal(pixel_frame(image_frame(images), PNG).to_numpy(), images.reshape(2, -1))
    npy = ImageRequestCodec(NPY).encode(image_frame(images))
    np.testing.assert_array_equal(serve.pixel_rows(npy, NPY), images.reshape(2, -1))
    with pytest.raises(OSError):   # the server answers 400 (BadInput) for a body that is no image
        serve.pixel_rows(b"not an image", PNG)


def test_in_process_refuses_object_detection_and_images_of_mixed_sizes(tmp_path: Path, model_dir: Path) -> None:
    from analyzer.cli import main
    from analyzer.config import parse_config
    from analyzer.errors import EndpointError
    from analyzer.predictor import image_frame, open_predictor

    config = image_config(in_process=True, model_data=str(model_dir), allow_pickle=True)
    config["methods"]["shap"]["image_config"]["model_type"] = "OBJECT_DETECTION"
    (tmp_path / "config.json").write_text(__import__("json").dumps(config))
    assert main(["validate", str(tmp_path / "config.json")]) == 2
    code, _ = run_job(tmp_path / "run", config, write_images(tmp_path / "images", 1))
    assert code == 2 and "predictor.in_process: object detection needs a model that answers with boxes" in \
        message(tmp_path / "run")
    with open_predictor(parse_config(image_config(in_process=True, model_data=str(model_dir), allow_pickle=True)),
                        feature_names=["image"]) as predictor:
        mixed = [np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)]
        with pytest.raises(EndpointError, match=r"one size; got \[\(4, 4\), \(5, 4\)\]"):
            predictor.predict(image_frame(mixed))
