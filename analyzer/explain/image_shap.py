"""Kernel SHAP over the segments of one image (``methods.shap.image_config``).

The game
--------
Image ``x``, baseline image ``b`` (same size), segment labels (``k`` players, pixels labelled -1
always take ``b``). ``v(S) = link(f(image(S)))`` where ``image(S)`` keeps the pixels of the segments
in ``S`` from ``x`` and takes the others from ``b`` (:func:`image_segments.compose`). ``f`` maps a
batch of images to ``D`` outputs: class scores, or one matched detection score per explained object
(:mod:`image_detection`). ``sum(phi) = v(all) - v(empty)``; ``expected_value = v(empty)``, the model
on the baseline (with -1 pixels, the baseline everywhere: ``v(all)`` is then the model on the box
region with its surroundings replaced).

The estimator is the tabular one (:mod:`_design`: shap's coalition schedule, the efficiency-constrained
weighted least squares), with the design seeded by ``SeedSequence([seed, k])`` as for text. With
``num_samples >= 2**k - 2`` every coalition is enumerated and the values are the exact Shapley values.
Images go to the model in chunks that keep the synthetic images under :data:`CHUNK_BYTES`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analyzer.errors import EndpointError
from analyzer.explain._design import coalition_design, make_solver
from analyzer.explain._estimate import solve
from analyzer.explain._game import link
from analyzer.explain.image_segments import compose, count_segments

#: A batch of images (n, H, W, 3) uint8 → (n, D) model outputs.
ImageValue = Callable[[np.ndarray], np.ndarray]

CHUNK_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class SegmentShap:
    """One image's explanation: ``values`` (k, D) per segment and output."""

    values: np.ndarray
    expected_value: np.ndarray   # (D,) v(empty)
    prediction: np.ndarray       # (D,) v(all)
    num_samples: int             # coalitions evaluated besides the full and the empty one
    model_images: int            # images sent to the model


def _evaluate(value: ImageValue, image: np.ndarray, baseline: np.ndarray, labels: np.ndarray,
              masks: np.ndarray, chunk: int) -> np.ndarray:
    parts = []
    for start in range(0, len(masks), chunk):
        batch = masks[start:start + chunk]
        out = np.asarray(value(compose(image, baseline, labels, batch)), dtype=float)
        out = out.reshape(len(batch), -1)
        parts.append(out)
    widths = {p.shape[1] for p in parts}
    if len(widths) > 1:
        raise EndpointError(f"The model returned outputs of different lengths {sorted(widths)} for one image.")
    return np.concatenate(parts)


def segment_kernel_shap(value: ImageValue, image: np.ndarray, baseline: np.ndarray, labels: np.ndarray, *,
                        num_samples: int | None = None, seed: int | None = None, use_logit: bool = False,
                        chunk_images: int | None = None) -> SegmentShap:
    """Kernel SHAP values of ``value`` over the segments in ``labels`` (see the module docstring)."""
    if image.shape != baseline.shape or labels.shape != image.shape[:2]:
        raise ValueError(f"image {image.shape}, baseline {baseline.shape} and labels {labels.shape} differ")
    k = count_segments(labels)
    solver = None
    masks = np.zeros((0, k), dtype=bool)
    if k >= 2:
        rng = np.random.default_rng(np.random.SeedSequence([0 if seed is None else int(seed), k]))
        solver = make_solver(coalition_design(k, num_samples, rng))
        masks = solver.design.masks
    rows = np.concatenate([np.ones((1, k), bool), np.zeros((1, k), bool), masks])
    chunk = chunk_images or max(1, CHUNK_BYTES // max(1, image.nbytes))
    out = link(_evaluate(value, image, baseline, labels, rows, chunk), use_logit)
    full, empty = out[0], out[1]
    delta = full - empty
    if solver is None:
        values = delta[None, :] if k == 1 else np.zeros((0, out.shape[1]))
    else:
        y = (out[2:] - empty[None, :])[None]
        values = solve(solver, y, delta[None])[0][0]
    return SegmentShap(values=values, expected_value=empty, prediction=full, num_samples=len(masks),
                       model_images=len(rows))
