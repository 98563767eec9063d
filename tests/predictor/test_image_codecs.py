"""Image requests (JPEG/PNG one per request, NPY batches) and responses (class scores, detections)."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from analyzer.config import parse_config
from analyzer.errors import ConfigError
from analyzer.explain.image_detection import Detection, iou, matched_scores, parse_detections, select_objects
from analyzer.formats import CountMismatch, ResponseError
from analyzer.predictor import request_codec, response_codec
from analyzer.predictor.image_codecs import DetectionCodec, image_frame

URL = "http://127.0.0.1:9/invocations"


def _config(model_type: str = "IMAGE_CLASSIFICATION", **predictor) -> object:
    return parse_config({"dataset_type": "application/x-image",
                         "methods": {"shap": {"image_config": {"model_type": model_type}}},
                         "predictor": {"endpoint_url": URL, **predictor}})


IMAGES = np.random.default_rng(0).integers(0, 256, (3, 5, 4, 3), dtype=np.uint8)


def test_png_requests_hold_one_exact_image_and_jpeg_is_the_default() -> None:
    png = request_codec(_config(content_type="image/png"), ["image"])
    assert png.one_record_per_request and png.content_type == "image/png"
    body = png.encode(image_frame(IMAGES[:1]))
    assert (np.asarray(Image.open(io.BytesIO(body))) == IMAGES[0]).all()
    jpeg = request_codec(_config(), ["image"])
    assert jpeg.content_type == "image/jpeg" and jpeg.encode(image_frame(IMAGES[:1]))[:2] == b"\xff\xd8"


def test_npy_requests_carry_a_batch() -> None:
    codec = request_codec(_config(content_type="application/x-npy"), ["image"])
    assert not codec.one_record_per_request
    back = np.load(io.BytesIO(codec.encode(image_frame(IMAGES))), allow_pickle=False)
    assert back.dtype == np.uint8 and (back == IMAGES).all()


def test_classification_scores_use_the_shared_decoder_with_json_by_default() -> None:
    codec = response_codec(_config(label_headers=["a", "b"]))
    assert codec.accept_type == "application/json"
    assert codec.decode(b"[0.25, 0.75]", 1).scores.tolist() == [[0.25, 0.75]]
    keyed = response_codec(_config(probability="probabilities"))
    assert keyed.decode(b'{"probabilities": [0.1, 0.9]}', 1).scores.tolist() == [[0.1, 0.9]]


@pytest.mark.parametrize("body, expected, count", [
    ({"prediction": [[1, 0.9, 0.1, 0.1, 0.5, 0.5], [0, 0.3, 0, 0, 1, 1]]}, 1, [2]),
    ([[1, 0.9, 0.1, 0.1, 0.5, 0.5]], 1, [1]),
    ([], 1, [0]),
    ([[[1, 0.9, 0.1, 0.1, 0.5, 0.5]], []], 2, [1, 0]),
    ([[[1, 0.9, 0.1, 0.1, 0.5, 0.5]]], 1, [1]),
])
def test_detections_in_the_shapes_models_send(body, expected, count) -> None:
    codec = response_codec(_config("OBJECT_DETECTION"))
    out = codec.decode(json.dumps(body).encode(), expected)
    assert out.scores is None and [len(rows) for rows in out.labels] == count


def test_detection_problems_are_named() -> None:
    codec = DetectionCodec()
    with pytest.raises(CountMismatch):
        codec.decode(b"[[[0, 1, 0, 0, 1, 1]]]", 2)
    with pytest.raises(ResponseError, match="class_id, score"):
        codec.decode(b'{"prediction": [[0, "x", 0, 0, 1, 1]]}', 1)
    with pytest.raises(ResponseError, match="without 'prediction'"):
        codec.decode(b'{"boxes": []}', 1)
    assert len(DetectionCodec(path="out.dets").decode(b'{"out": {"dets": [[0, 1, 0, 0, 1, 1]]}}', 1).labels[0]) == 1
    with pytest.raises(ConfigError, match="accept_type"):
        response_codec(_config("OBJECT_DETECTION", accept_type="text/csv"))


def test_detections_are_parsed_matched_and_selected() -> None:
    found = parse_detections([[0, 0.9, 0.1, 0.1, 0.5, 0.5], [-1, -1, -1, -1, -1, -1], [2, 0.6, 20, 10, 40, 30]],
                             width=100, height=50)
    assert [d.class_id for d in found] == [0, 2] and found[1].box == (0.2, 0.2, 0.4, 0.6)   # pixels normalised
    assert iou((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7) and iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0
    assert select_objects(found, 0.7, 3) == [found[0]] and select_objects(found, 0.5, 1) == [found[0]]
    shifted = [Detection(0, 0.8, (0.12, 0.1, 0.5, 0.5)), Detection(0, 0.95, (0.6, 0.6, 0.9, 0.9)),
               Detection(2, 0.99, (0.1, 0.1, 0.5, 0.5))]
    scores = matched_scores([found[0]], [shifted, [], shifted[1:]], iou_threshold=0.5)
    assert scores.tolist() == [[0.8], [0.0], [0.0]]   # same class and overlapping, else not found

