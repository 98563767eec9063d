"""Heat maps of image SHAP values, drawn with Pillow, in Clarify's colours: blue where a segment raises
the explained score, red where it lowers it, more opaque the larger the value (relative to the
image's largest absolute value). Files are JPEG, as Clarify writes them.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

POSITIVE = np.array([0, 90, 255], dtype=float)     # blue
NEGATIVE = np.array([255, 40, 0], dtype=float)     # red
BOUNDARY = np.array([255, 230, 0], dtype=np.uint8)  # yellow segment edges
MAX_ALPHA = 0.65
JPEG_QUALITY = 90


def boundaries(labels: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose right or lower neighbour is in another segment."""
    edge = np.zeros(labels.shape, dtype=bool)
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edge


def segmented(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[boundaries(labels)] = BOUNDARY
    return out


def overlay(image: np.ndarray, labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The image tinted per segment by its value (pixels labelled -1 are greyed: not explained)."""
    values = np.asarray(values, dtype=float)
    scale = float(np.abs(values).max()) if values.size else 0.0
    strength = np.abs(values) / scale if scale > 0 else np.zeros_like(values)
    alpha = np.append(MAX_ALPHA * strength, 0.0)[labels][..., None]         # -1 → last entry
    colour = np.where(np.append(values, 0.0)[labels][..., None] >= 0, POSITIVE, NEGATIVE)
    out = image.astype(float) * (1 - alpha) + colour * alpha
    out[labels < 0] = out[labels < 0] * 0.45 + 128 * 0.55
    return out.clip(0, 255).astype(np.uint8)


def _captioned(panels: Sequence[np.ndarray], caption: str, boxes: Sequence[tuple] = ()) -> bytes:
    from PIL import Image, ImageDraw

    h = max(p.shape[0] for p in panels)
    gap = 6
    caption = caption[:200]
    text_width = int(ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(caption)) + 8
    width = max(sum(p.shape[1] for p in panels) + gap * (len(panels) - 1), text_width)
    strip = 22
    canvas = Image.new("RGB", (width, h + strip), (255, 255, 255))
    x = 0
    draw = ImageDraw.Draw(canvas)
    for panel in panels:
        canvas.paste(Image.fromarray(panel), (x, strip))
        for box, text in boxes:   # drawn on every panel
            x0, y0, x1, y1 = box
            draw.rectangle([x + x0, strip + y0, x + x1, strip + y1], outline=(0, 255, 0), width=2)
            if text:
                draw.text((x + x0 + 3, strip + y0 + 2), text, fill=(0, 255, 0))
        x += panel.shape[1] + gap
    draw.text((4, 5), caption, fill=(0, 0, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def classification_heat_map(image: np.ndarray, labels: np.ndarray, values: np.ndarray, caption: str) -> bytes:
    """Clarify's classification result image: the segmented image next to the heat map."""
    return _captioned([segmented(image, labels), overlay(image, labels, values)], caption)


def object_heat_map(image: np.ndarray, labels: np.ndarray, values: np.ndarray, box: tuple, caption: str) -> bytes:
    """One detected object's heat map with its box."""
    return _captioned([overlay(image, labels, values)], caption, [(box, "")])


def objects_image(image: np.ndarray, boxes: Sequence[tuple[tuple, str]], caption: str) -> bytes:
    """The image with the explained objects' boxes and names (Clarify's ``<image>_objects.jpeg``)."""
    return _captioned([image], caption, boxes)
