"""Requests and responses for image models (``dataset_type`` ``application/x-image``).

Requests: the predictor gets frames with one column of (H, W, 3) uint8 arrays.

- ``image/jpeg`` (Clarify's default for images, also when ``content_type`` is unset or
  ``application/x-image``) and ``image/png``: one image per request, the encoded file as the body.
  JPEG is written at quality :data:`JPEG_QUALITY` (INFERRED; lossy, so PNG gives exact pixels).
- ``application/x-npy``: a batch of same-size images as one ``(n, H, W, 3)`` uint8 NumPy array
  (Clarify's object-detection notebook serves a model this way).

Responses (``accept_type`` defaults to ``application/json`` for images):

- ``IMAGE_CLASSIFICATION``: class scores, read by the shared response codec
  (:mod:`analyzer.formats.responses`: a JSON list per image, or ``predictor.probability``).
- ``OBJECT_DETECTION``: detections per image, ``{"prediction": [[class, score, x0, y0, x1, y1], ...]}``
  (SageMaker's built-in detector), a bare list of such rows, or for a batch a list of those lists;
  ``predictor.probability`` (or ``label``) may give the JMESPath of the rows instead of ``prediction``.
  They come back as ``ModelOutput.labels``: one list of rows per image.

In process (``predictor.in_process``, classification only): the model file (XGBoost, LightGBM,
scikit-learn) gets one row per image, its RGB pixels flattened row by row, after the round trip
through the request's encoding (JPEG is lossy) - what ``scripts/model_server`` makes of the same
request - so it answers exactly as it would behind that server.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.errors import ConfigError, EndpointError
from analyzer.formats import IMAGE, JSON, CountMismatch, ModelOutput, ResponseCodec, ResponseError
from analyzer.predictor.base import Predictor

JPEG, PNG, NPY = "image/jpeg", "image/png", "application/x-npy"
JPEG_QUALITY = 95
CLASSIFICATION, DETECTION = "IMAGE_CLASSIFICATION", "OBJECT_DETECTION"
DETECTION_KEY = "prediction"


def model_type(config: AnalysisConfig) -> str:
    shap = config.methods.shap
    image_config = (shap.image_config if shap is not None else None) or {}
    return str(image_config.get("model_type", CLASSIFICATION)).upper()


def image_frame(images: np.ndarray | list[np.ndarray]) -> pd.DataFrame:
    """The one-column frame the predictor takes: each cell one (H, W, 3) uint8 image."""
    cells = np.empty(len(images), dtype=object)
    for i, image in enumerate(images):
        cells[i] = image
    return pd.DataFrame({"image": cells})


def encode_image(image: np.ndarray, content_type: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    if content_type == PNG:
        Image.fromarray(image).save(buffer, format="PNG")
    else:
        Image.fromarray(image).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


@dataclass(frozen=True)
class ImageRequestCodec:
    """The request side the batching predictor uses (``content_type``, ``encode``, records per request)."""

    content_type: str
    feature_names: tuple[str, ...] = ("image",)

    @property
    def one_record_per_request(self) -> bool:
        return self.content_type != NPY

    def encode(self, frame: pd.DataFrame) -> bytes:
        images = list(frame.iloc[:, 0])
        if self.content_type == NPY:
            buffer = io.BytesIO()
            np.save(buffer, np.stack(images), allow_pickle=False)
            return buffer.getvalue()
        if len(images) != 1:
            raise ValueError(f"{self.content_type} requests hold one image, got {len(images)}")
        return encode_image(images[0], self.content_type)


def decode_image(body: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))


def pixel_frame(frame: pd.DataFrame, content_type: str) -> pd.DataFrame:
    """One row per image of ``frame``: the pixels a model server decodes from the request, flattened."""
    images = list(frame.iloc[:, 0])
    if content_type == JPEG:
        images = [decode_image(encode_image(image, JPEG)) for image in images]
    return pd.DataFrame(np.stack(images).reshape(len(images), -1).astype(float) if images else np.empty((0, 0)))


class PixelPredictor:
    """An in-process model over image frames: each image becomes its row of pixels (module docstring)."""

    def __init__(self, model: Predictor, content_type: str) -> None:
        self.model, self.content_type = model, content_type

    @property
    def max_rows_per_call(self) -> int:
        return self.model.max_rows_per_call

    def predict(self, features: pd.DataFrame) -> ModelOutput:
        images = list(features.iloc[:, 0])
        if len({image.shape for image in images}) > 1:
            raise EndpointError("predictor.in_process: a model on pixels takes images of one size; got "
                                f"{sorted({image.shape[:2] for image in images})} (height, width).")
        return self.model.predict(pixel_frame(features, self.content_type))


def image_request_codec(config: AnalysisConfig) -> ImageRequestCodec:
    predictor = config.predictor
    assert predictor is not None
    content_type = (predictor.content_type or JPEG).lower()
    if content_type == IMAGE:
        content_type = JPEG
    if content_type not in (JPEG, PNG, NPY):
        raise ConfigError(f"predictor.content_type: {content_type} cannot carry images; use image/jpeg, image/png "
                          "or application/x-npy.")
    return ImageRequestCodec(content_type)


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    return depth


def _check_rows(rows: Any) -> list:
    for row in rows:
        if not (isinstance(row, list) and len(row) >= 6
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row[:6])):
            raise ResponseError(f"sent a detection {json.dumps(row)[:120]}; expected [class_id, score, x0, y0, x1, "
                                "y1] (numbers)")
    return rows


@dataclass(frozen=True)
class DetectionCodec:
    """Detections per image (see the module docstring)."""

    accept_type: str = JSON
    path: str | None = None

    def decode(self, body: bytes, expected: int) -> ModelOutput:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ResponseError(f"sent a response that is not JSON ({exc})") from None
        if self.path is not None:
            import jmespath

            document = jmespath.search(self.path, document)
        elif isinstance(document, dict):
            if DETECTION_KEY not in document:
                raise ResponseError(f"returned an object without '{DETECTION_KEY}' ({json.dumps(document)[:120]}); "
                                    "set predictor.probability to the JMESPath of the detections")
            document = document[DETECTION_KEY]
        if not isinstance(document, list):
            raise ResponseError(f"returned {json.dumps(document)[:120]} where a list of detections was expected")
        per_image = [document] if _depth(document) <= 2 and expected == 1 else document
        if len(per_image) != expected:
            raise CountMismatch(len(per_image), expected)
        labels = np.empty(expected, dtype=object)
        for i, rows in enumerate(per_image):
            if not isinstance(rows, list):
                raise ResponseError(f"returned {json.dumps(rows)[:120]} for an image; expected a list of detections")
            labels[i] = _check_rows(rows)
        return ModelOutput(scores=None, labels=labels)


def image_response_codec(config: AnalysisConfig) -> ResponseCodec | DetectionCodec:
    predictor = config.predictor
    assert predictor is not None
    accept = (predictor.accept_type or JSON).lower()
    path = predictor.probability if predictor.probability is not None else predictor.label
    if model_type(config) == DETECTION:
        if predictor.in_process:
            raise ConfigError("predictor.in_process: object detection needs a model that answers with boxes, and "
                              "a model file loaded in process (XGBoost, LightGBM, scikit-learn) answers with class "
                              "scores; serve the detector (endpoint_url, image_uri, endpoint_name or model_name).")
        if accept != JSON:
            raise ConfigError(f"predictor.accept_type: object detection models answer in {JSON}, not {accept}.")
        if path is not None and not isinstance(path, str):
            raise ConfigError("predictor.probability: for object detection a JMESPath to the detections.")
        return DetectionCodec(accept, path)
    from analyzer.formats import DECODERS

    if accept not in DECODERS:
        raise ConfigError(f"predictor.accept_type: {accept} is not supported (supported: {', '.join(DECODERS)}).")
    return ResponseCodec(accept, None, path, predictor.label_headers,
                         probability_key="probability" if predictor.probability is not None else "label")
