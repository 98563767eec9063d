"""Image datasets: one record per file, every file checked up front, unreadable files named (exit 3)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from analyzer.config import parse_config
from analyzer.data import IMAGE_COLUMN, NAME_COLUMN, load_dataset, load_image, read_images
from analyzer.errors import DataError

CONFIG = {"dataset_type": "application/x-image",
          "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
          "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations"}}


def _save(path: Path, mode: str = "RGB", size: tuple[int, int] = (6, 4)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color=(200, 30, 30) if mode in ("RGB", "RGBA") else 128).save(path)
    return path


def test_a_folder_of_images_is_one_record_per_file_with_the_image_as_the_only_feature(tmp_path: Path) -> None:
    _save(tmp_path / "imgs" / "b.png")
    _save(tmp_path / "imgs" / "a.jpg")
    _save(tmp_path / "imgs" / "sub" / "a.jpg")
    _save(tmp_path / "imgs" / "sub" / "b.jpg")
    dataset = load_dataset(parse_config(CONFIG), tmp_path / "imgs")
    assert dataset.features == (IMAGE_COLUMN,) and dataset.label is None
    # unique stems: the heat maps are named after them (shap_<stem>.jpeg)
    assert dataset.frame[NAME_COLUMN].tolist() == ["a.jpg", "b.png", "a_1.jpg", "b_1.jpg"]
    assert all(Path(p).exists() for p in dataset.frame[IMAGE_COLUMN])


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_grey_palette_and_alpha_images_become_rgb(tmp_path: Path, mode: str) -> None:
    image = load_image(_save(tmp_path / f"x.{'png'}", mode))
    assert image.shape == (4, 6, 3) and image.dtype == np.uint8


@pytest.mark.parametrize("content, suffix, fragment", [
    (b"hello, I am a README", ".png", "cannot be read as an image"),
    ("truncated", ".png", "corrupt or truncated"),
    ("truncated", ".jpg", "(?i)truncated"),
])
def test_a_file_that_is_not_a_whole_image_is_named(tmp_path: Path, content, suffix: str, fragment: str) -> None:
    good = _save(tmp_path / f"good{suffix}", size=(64, 48))
    bad = tmp_path / f"bad{suffix}"
    whole = good.read_bytes()
    bad.write_bytes(whole[:len(whole) * 2 // 3] if content == "truncated" else content)
    with pytest.raises(DataError, match=fragment) as raised:
        read_images([good, bad])
    assert str(bad) in raised.value.message and raised.value.exit_code == 3


def test_an_empty_folder_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError):
        read_images([])
