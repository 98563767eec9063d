"""predictor.in_process with model_data in S3: a .tar.gz object and a prefix of model files."""
from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))

from analyzer.models.artifacts import load_model  # noqa: E402
from tree_fixtures import dataset, save, train  # noqa: E402

pytestmark = pytest.mark.s3


def test_a_tarball_and_a_prefix_load_the_same_model(s3: Any, bucket: str, tmp_path: Path) -> None:
    directory = save(train("lgb", *dataset()), "lgb", tmp_path / "model")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(directory / "model.txt", arcname="model.txt")
    s3.put_object(Bucket=bucket, Key="models/one/model.tar.gz", Body=buffer.getvalue())
    s3.put_object(Bucket=bucket, Key="models/files/model.txt", Body=(directory / "model.txt").read_bytes())
    frame = dataset(30, seed=4)[0]
    local = load_model(str(directory)).predict(frame)[1]
    for uri in (f"s3://{bucket}/models/one/model.tar.gz", f"s3://{bucket}/models/files/"):
        model = load_model(uri)
        assert model.kind == "lightgbm"
        np.testing.assert_array_equal(model.predict(frame)[1], local)
