"""Object detection outputs for image Kernel SHAP: detections, the objects explained, and the score
an object keeps in a perturbed image (``image_config.max_objects``, ``iou_threshold``).

A detection is ``[class_id, score, x0, y0, x1, y1]`` with the box corners normalised by the image
width and height (SageMaker's built-in object detector and Clarify's object-detection notebook).
Boxes whose corners exceed 1.5 are taken as pixels (INFERRED convenience for models that answer in
pixels). Class ids below 0 are padding (MXNet/GluonCV detectors fill with -1) and are dropped.

Objects explained: the image's own detections with ``score >= probability_threshold`` (Clarify's
object-detection confidence filter), the ``max_objects`` highest first. In a perturbed image an
object's value is the highest score among detections of the same class whose box overlaps the
object's box with IoU >= ``iou_threshold``, and 0 when none does (the object was not found).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PIXEL_BOX_LIMIT = 1.5


@dataclass(frozen=True)
class Detection:
    class_id: int
    score: float
    box: tuple[float, float, float, float]   # normalised x0, y0, x1, y1


def parse_detections(raw: Sequence[Sequence[float]], width: int, height: int) -> list[Detection]:
    """Detections of one image from the model's rows (already checked to be lists of >= 6 numbers)."""
    out = []
    for row in raw:
        class_id, score, *box = (float(v) for v in row[:6])
        if class_id < 0:
            continue
        if max(abs(v) for v in box) > PIXEL_BOX_LIMIT:
            box = [box[0] / width, box[1] / height, box[2] / width, box[3] / height]
        x0, y0, x1, y1 = box
        out.append(Detection(int(class_id), score, (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))))
    return out


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes (0 when both are empty)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def select_objects(detections: Sequence[Detection], threshold: float, max_objects: int) -> list[Detection]:
    """The objects to explain: score >= threshold, highest score first, at most ``max_objects``."""
    kept = [d for d in detections if d.score >= threshold]
    return sorted(kept, key=lambda d: -d.score)[:max_objects]


def matched_scores(objects: Sequence[Detection], per_image: Sequence[Sequence[Detection]],
                   iou_threshold: float) -> np.ndarray:
    """(n images, objects) the score each object keeps in each image (0 when it is not found)."""
    out = np.zeros((len(per_image), len(objects)))
    for i, found in enumerate(per_image):
        for j, obj in enumerate(objects):
            best = 0.0
            for d in found:
                if d.class_id == obj.class_id and d.score > best and iou(d.box, obj.box) >= iou_threshold:
                    best = d.score
            out[i, j] = best
    return out


def pixel_box(box: Sequence[float], width: int, height: int) -> tuple[float, float, float, float]:
    return box[0] * width, box[1] * height, box[2] * width, box[3] * height
