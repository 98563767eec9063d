"""An image dataset under an S3 prefix (moto): every image object becomes one record."""
from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from analyzer.config import parse_config
from analyzer.data import IMAGE_COLUMN, NAME_COLUMN, load_dataset, load_image
from analyzer.storage import scratch_session

pytestmark = pytest.mark.s3


def test_images_under_a_prefix(s3: Any, bucket: str) -> None:
    for name, colour in (("cat.png", (10, 200, 10)), ("dog.jpg", (200, 10, 10))):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 5), colour).save(buffer, format="PNG" if name.endswith("png") else "JPEG")
        s3.put_object(Bucket=bucket, Key=f"images/{name}", Body=buffer.getvalue())
    config = parse_config({"dataset_type": "application/x-image",
                           "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
                           "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations"}})
    with scratch_session():
        dataset = load_dataset(config, f"s3://{bucket}/images/")
        assert dataset.frame[NAME_COLUMN].tolist() == ["cat.png", "dog.jpg"]
        cat = load_image(dataset.frame[IMAGE_COLUMN][0])
        assert cat.shape == (5, 8, 3) and tuple(cat[0, 0]) == (10, 200, 10)
