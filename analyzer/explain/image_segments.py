"""Image segments for Kernel SHAP (``image_config``): SLIC superpixels, the baseline image, and the
images a coalition of segments makes.

The players of an image are its SLIC superpixels (scikit-image, ``n_segments=num_segments``,
``compactness=segment_compactness``, as Clarify documents). A segment that is present keeps the
image's pixels; an absent one takes the baseline image's pixels. Pixels labelled ``-1`` are no
player and always take the baseline (object detection with ``context`` < 1: outside the context box).

The baseline is Clarify's: an image given as ``methods.shap.baseline`` (resized to each input), or by
default white noise (uniform random RGB, seeded by ``methods.shap.seed``, one draw per image size).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_NUM_SEGMENTS = 20
DEFAULT_COMPACTNESS = 5.0


def slic_segments(image: np.ndarray, num_segments: int = DEFAULT_NUM_SEGMENTS,
                  compactness: float = DEFAULT_COMPACTNESS) -> np.ndarray:
    """(H, W) int labels 0..k-1 of the image's superpixels (consecutive, in first-seen order)."""
    from skimage.segmentation import slic

    raw = slic(image, n_segments=int(num_segments), compactness=float(compactness), start_label=0,
               channel_axis=-1)
    return relabel(raw)


def relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 in order of first appearance (row-major); -1 stays -1."""
    flat = labels.ravel()
    keep = flat >= 0
    _, first, inverse = np.unique(flat[keep], return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.intp)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    out = np.full(flat.shape, -1, dtype=np.intp)
    out[keep] = rank[inverse]
    return out.reshape(labels.shape)


def count_segments(labels: np.ndarray) -> int:
    return int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0


def white_noise(height: int, width: int, seed: int | None) -> np.ndarray:
    """Clarify's default baseline: uniform random RGB pixels (deterministic for a seed and size)."""
    rng = np.random.default_rng(np.random.SeedSequence([0 if seed is None else int(seed), height, width]))
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def resized(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` scaled to (height, width) (bilinear); the same array when it already fits."""
    if image.shape[:2] == (height, width):
        return image
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR), dtype=np.uint8)


@dataclass(frozen=True)
class ImageBaseline:
    """The image absent segments take: a given image (resized per input) or seeded white noise."""

    image: np.ndarray | None = None
    seed: int | None = None
    description: str = "white noise"

    def for_shape(self, height: int, width: int) -> np.ndarray:
        if self.image is None:
            return white_noise(height, width, self.seed)
        return resized(self.image, height, width)


def context_region(height: int, width: int, box: Sequence[float], context: float) -> tuple[int, int, int, int]:
    """Pixel rows/columns (top, bottom, left, right; end-exclusive) of the box widened by ``context``:
    0 keeps the box, 1 the whole image, in between that fraction of the margin on each side."""
    x0, y0, x1, y1 = (float(v) for v in box)
    c = min(max(float(context), 0.0), 1.0)
    left, right = x0 - c * x0, x1 + c * (width - x1)
    top, bottom = y0 - c * y0, y1 + c * (height - y1)
    r0, r1 = int(np.floor(max(top, 0))), int(np.ceil(min(bottom, height)))
    c0, c1 = int(np.floor(max(left, 0))), int(np.ceil(min(right, width)))
    return r0, max(r1, r0 + 1), c0, max(c1, c0 + 1)


def restrict(labels: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
    """The segments seen inside ``region``, renumbered; every pixel outside it becomes -1."""
    r0, r1, c0, c1 = region
    out = np.full(labels.shape, -1, dtype=np.intp)
    out[r0:r1, c0:c1] = labels[r0:r1, c0:c1]
    return relabel(out)


def compose(image: np.ndarray, baseline: np.ndarray, labels: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(S, H, W, 3) uint8: for each coalition row of ``masks`` (S, k), present segments from ``image``,
    absent ones (and pixels labelled -1) from ``baseline``."""
    masks = np.asarray(masks, dtype=bool)
    lookup = np.concatenate([masks, np.zeros((len(masks), 1), dtype=bool)], axis=1)  # column -1: absent
    keep = lookup[:, labels]                                                        # (S, H, W)
    return np.where(keep[..., None], image[None], baseline[None]).astype(np.uint8, copy=False)
