"""Image datasets (``dataset_type`` ``application/x-image``): a file, folder or S3 prefix of image files.

Each file is one record. The frame's feature column :data:`IMAGE_COLUMN` holds the local path (and
:data:`NAME_COLUMN` a unique display name); the
pixels are decoded when the image is explained (a folder of large photos would not fit in memory at
once). Every file is checked when the dataset is read, so an unreadable file fails the job before the
first model call, naming the file (exit 3).
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from analyzer.errors import DataError

log = logging.getLogger("analyzer.data")

IMAGE_COLUMN = "image"
NAME_COLUMN = "image_name"   # not a feature: the name outputs use
#: Images larger than this (pixels) are refused: Pillow's own bomb limit, stated in our message.
MAX_PIXELS = 89_478_485


def _open(path: Path):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(f"Image {path}: more than {MAX_PIXELS} pixels; resize it before explaining it.") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise DataError(f"Image {path} cannot be read as an image ({type(exc).__name__}: {exc}); "
                        "every file under the dataset URI must be a JPEG or PNG image.") from None


def check_image(path: Path) -> None:
    """Fail (exit 3, naming the file) unless Pillow can check and decode the whole image (a PNG cut
    after its pixel data fails only the structural check, a truncated JPEG only the decoding)."""
    try:
        with _open(path) as image:
            image.verify()
        with _open(path) as image:
            image.load()
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for truncated or corrupt files
        raise DataError(f"Image {path} is corrupt or truncated ({type(exc).__name__}: {exc}).") from None


def load_image(path: str | Path) -> np.ndarray:
    """The image as an (H, W, 3) uint8 RGB array (grey, palette and alpha images are converted)."""
    path = Path(path)
    try:
        with _open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - decoding errors surface only here for some formats
        raise DataError(f"Image {path} cannot be decoded ({type(exc).__name__}: {exc}).") from None


def image_names(files: Sequence[Path]) -> list[str]:
    """A display name per file: its name, with a numbered suffix on the stem when an earlier file has
    the same stem (``a.jpg`` in two folders, or ``a.jpg`` and ``a.png``), so that names and the output
    files named after their stems are unique."""
    seen: set[str] = set()
    names = []
    for path in files:
        stem, count = path.stem, 0
        while stem.lower() in seen:
            count += 1
            stem = f"{path.stem}_{count}"
        seen.add(stem.lower())
        names.append(stem + path.suffix)
    return names


def read_images(files: Sequence[Path]) -> pd.DataFrame:
    """One row per image file: the local path in :data:`IMAGE_COLUMN`, the display name in :data:`NAME_COLUMN`."""
    if not files:
        raise DataError("The image dataset has no files.")
    for path in files:
        check_image(path)
    log.info("Found %d images", len(files))
    return pd.DataFrame({IMAGE_COLUMN: [str(p) for p in files], NAME_COLUMN: image_names(files)})
