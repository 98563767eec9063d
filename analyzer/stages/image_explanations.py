"""The image explainability stage (``methods.shap.image_config``): image files + predictor → Kernel
SHAP over superpixels per image, the ``image_kernel_shap`` section of analysis.json and the heat maps.

Outputs (Clarify's CV analysis.json entries are not public; this shape is INFERRED, documented in
the README): ``explanations.image_kernel_shap`` = the settings and one entry per image. Image files
as Clarify names them: object detection ``<image>_objects.jpeg`` and ``shap_<image>_box<k>.jpeg``;
classification ``shap_<image>.jpeg`` (segmented image next to the heat map of the predicted label).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analyzer.config import AnalysisConfig
from analyzer.data import IMAGE_COLUMN, NAME_COLUMN, Dataset, load_image
from analyzer.errors import AnalyzerError, ConfigError, EndpointError, Interrupted
from analyzer.explain import (
    Detection,
    Explanation,
    ImageBaseline,
    SegmentShap,
    classification_heat_map,
    context_region,
    matched_scores,
    object_heat_map,
    objects_image,
    parse_detections,
    pixel_box,
    restrict,
    segment_kernel_shap,
    select_objects,
    slic_segments,
)
from analyzer.output import OutputWriter
from analyzer.predictor import CLASSIFICATION, DETECTION, Predictor, image_frame
from analyzer.progress import Progress

log = logging.getLogger("analyzer.explain")

SECTION_KEY = "image_kernel_shap"


@dataclass(frozen=True)
class ImageSettings:
    model_type: str = CLASSIFICATION
    num_segments: int = 20        # Clarify's defaults (SDK ImageConfig docstring)
    segment_compactness: float = 5.0
    max_objects: int = 3
    iou_threshold: float = 0.5
    context: float = 1.0


def image_settings(raw: Mapping[str, Any]) -> ImageSettings:
    """``image_config`` with Clarify's defaults (SDK docstring: 20 segments, compactness 5, 3 objects,
    IoU 0.5, context 1)."""
    d = ImageSettings()
    return ImageSettings(model_type=str(raw.get("model_type", d.model_type)).upper(),
                         num_segments=int(raw.get("num_segments", d.num_segments)),
                         segment_compactness=float(raw.get("segment_compactness", d.segment_compactness)),
                         max_objects=int(raw.get("max_objects", d.max_objects)),
                         iou_threshold=float(raw.get("iou_threshold", d.iou_threshold)),
                         context=float(raw.get("context", d.context)))


def _label_name(index: int, headers: tuple | None) -> str:
    """The label header of a class index, else Clarify's placeholder (label0, label1, ...)."""
    from analyzer.formats import score_names

    return str(headers[index]) if headers and 0 <= index < len(headers) else score_names(index + 1, None)[index]


@dataclass
class _Model:
    """The predictor as the game sees it: a batch of images → scores, or → detections."""

    predictor: Predictor
    model_images: int = 0

    def scores(self, batch: np.ndarray) -> np.ndarray:
        self.model_images += len(batch)
        output = self.predictor.predict(image_frame(batch))
        if output.scores is None:
            raise EndpointError("Image classification explains class scores, but the model returned labels only; "
                                "set predictor.probability to the JMESPath of the scores.")
        return output.scores

    def detections(self, batch: np.ndarray) -> list[list[Detection]]:
        self.model_images += len(batch)
        output = self.predictor.predict(image_frame(batch))
        h, w = batch.shape[1:3]
        rows: Any = output.labels if output.labels is not None else [[] for _ in range(len(batch))]
        return [parse_detections(r, w, h) for r in rows]


@dataclass
class ImageExplanationResult:
    """Same interface as :class:`analyzer.stages.explanations.ExplanationResult` for the job and reports."""

    settings: dict
    images: list[dict]
    files: dict[str, bytes]
    dataset: Dataset
    explanation: Explanation = field(default_factory=lambda: Explanation(shap_settings=None))

    def section(self) -> dict:
        return {SECTION_KEY: {**self.settings, "images": self.images}}

    def local_values(self) -> None:
        return None  # per-image values live in analysis.json

    def report_images(self) -> tuple[tuple[str, bytes], ...]:
        return tuple(self.files.items())

    def write(self, writer: OutputWriter) -> None:
        for name, data in self.files.items():
            writer.path(name).write_bytes(data)
        log.info("Wrote %d explanation images to: %s", len(self.files), writer.output_dir)


@dataclass
class _Run:
    settings: ImageSettings
    baseline: ImageBaseline
    model: _Model
    headers: tuple | None
    num_samples: int | None
    seed: int | None
    use_logit: bool
    threshold: float
    files: dict[str, bytes] = field(default_factory=dict)

    def shap(self, value, image: np.ndarray, labels: np.ndarray) -> SegmentShap:
        base = self.baseline.for_shape(*image.shape[:2])
        return segment_kernel_shap(value, image, base, labels, num_samples=self.num_samples, seed=self.seed,
                                   use_logit=self.use_logit)

    def classify(self, name: str, image: np.ndarray, labels: np.ndarray) -> dict:
        result = self.shap(self.model.scores, image, labels)
        from analyzer.formats import score_names

        top = int(np.argmax(result.prediction))
        label = score_names(len(result.prediction), self.headers)[top]   # one score + 2 headers: the positive
        heat_map = f"shap_{Path(name).stem}.jpeg"
        caption = f"{name}: {label} ({result.prediction[top]:.3g}); blue raises, red lowers the score"
        self.files[heat_map] = classification_heat_map(image, labels, result.values[:, top], caption)
        return {"predicted_label": label, "score": float(result.prediction[top]),
                "expected_value": float(result.expected_value[top]), "num_samples": result.num_samples,
                "shap_values": result.values[:, top].tolist(), "heat_map": heat_map}

    def detect(self, name: str, image: np.ndarray, labels: np.ndarray) -> dict:
        h, w = image.shape[:2]
        found = self.model.detections(image[None])[0]
        objects = select_objects(found, self.threshold, self.settings.max_objects)
        stem = Path(name).stem
        boxes = [(pixel_box(o.box, w, h), f"{k + 1}: {_label_name(o.class_id, self.headers)}")
                 for k, o in enumerate(objects)]
        self.files[f"{stem}_objects.jpeg"] = objects_image(image, boxes, f"{name}: {len(objects)} object(s) explained")
        entries = []
        for k, (obj, players, result, j) in enumerate(self._object_games(image, labels, objects)):
            heat_map = f"shap_{stem}_box{k + 1}.jpeg"
            label = _label_name(obj.class_id, self.headers)
            self.files[heat_map] = object_heat_map(image, players, result.values[:, j], boxes[k][0],
                                                   f"{name} box {k + 1}: {label} ({obj.score:.3g})")
            entries.append({"object": k + 1, "label": label, "class_id": obj.class_id, "score": obj.score,
                            "box": [float(v) for v in obj.box], "segments": int(players.max()) + 1,
                            "expected_value": float(result.expected_value[j]),
                            "matched_score": float(result.prediction[j]), "num_samples": result.num_samples,
                            "shap_values": result.values[:, j].tolist(), "heat_map": heat_map})
        return {"detections": len(found), "objects": entries, "objects_image": f"{stem}_objects.jpeg"}

    def _object_games(self, image: np.ndarray, labels: np.ndarray,
                      objects: list[Detection]) -> list[tuple[Detection, np.ndarray, SegmentShap, int]]:
        """(object, its players, the game's result, its output column) per object. With context 1 every
        object has the same players: one game whose outputs are the objects (one set of model calls);
        otherwise one game per object over the segments in its widened box."""
        iou = self.settings.iou_threshold
        if not objects:
            return []
        if self.settings.context >= 1:
            shared = self.shap(lambda b: matched_scores(objects, self.model.detections(b), iou), image, labels)
            return [(obj, labels, shared, j) for j, obj in enumerate(objects)]
        h, w = image.shape[:2]
        games = []
        for obj in objects:
            players = restrict(labels, context_region(h, w, pixel_box(obj.box, w, h), self.settings.context))
            result = self.shap(lambda b, o=obj: matched_scores([o], self.model.detections(b), iou), image, players)
            games.append((obj, players, result, 0))
        return games


def _baseline(config: AnalysisConfig) -> ImageBaseline:
    shap = config.methods.shap
    assert shap is not None
    if shap.baseline is None:
        return ImageBaseline(seed=shap.seed, description=f"white noise (seed {shap.seed or 0})")
    if not isinstance(shap.baseline, str):
        raise ConfigError("methods.shap.baseline: for images give the URI of a baseline image (local path or S3).")
    from analyzer.storage import fetch_one

    return ImageBaseline(image=load_image(fetch_one(shap.baseline, what="SHAP baseline image")),
                         description=shap.baseline)


def _explain_one(run: _Run, path: str, name: str) -> dict:
    """One image's entry; a failure names the image (a payload limit, a model error, a bad answer)."""
    try:
        image = load_image(path)
        labels = slic_segments(image, run.settings.num_segments, run.settings.segment_compactness)
        entry = {"image": name, "width": image.shape[1], "height": image.shape[0], "segments": int(labels.max()) + 1}
        entry.update(run.detect(name, image, labels) if run.settings.model_type == DETECTION
                     else run.classify(name, image, labels))
        return entry
    except Interrupted:
        raise
    except AnalyzerError as exc:
        raise type(exc)(f"Image {name}: {exc.message}") from None


def run_image_explanations(config: AnalysisConfig, dataset: Dataset, predictor: Predictor) -> ImageExplanationResult:
    shap = config.methods.shap
    assert shap is not None and shap.image_config is not None
    settings = image_settings(shap.image_config)
    headers = tuple(config.predictor.label_headers) if config.predictor and config.predictor.label_headers else None
    run = _Run(settings, _baseline(config), _Model(predictor), headers, shap.num_samples, shap.seed, shap.use_logit,
               config.probability_threshold if config.probability_threshold is not None else 0.5)
    log.info("Image explanations: %s, %d segments, compactness %g, baseline %s", settings.model_type,
             settings.num_segments, settings.segment_compactness, run.baseline.description)
    entries = []
    frame = dataset.frame
    with Progress(len(frame), "Kernel SHAP: explaining images") as progress:
        for path, name in zip(frame[IMAGE_COLUMN], frame[NAME_COLUMN]):
            entries.append(_explain_one(run, str(path), str(name)))
            progress.advance(1)
    log.info("Kernel SHAP (images): %d images, %d images sent to the model", len(entries), run.model.model_images)
    summary = {"model_type": settings.model_type, "num_segments": settings.num_segments,
               "segment_compactness": settings.segment_compactness, "baseline": run.baseline.description}
    if settings.model_type == DETECTION:
        summary.update(max_objects=settings.max_objects, iou_threshold=settings.iou_threshold,
                       context=settings.context, probability_threshold=run.threshold)
    return ImageExplanationResult(summary, entries, run.files, dataset)
