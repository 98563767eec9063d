"""Kernel SHAP over image segments: exact Shapley values by enumeration on models whose answer is known,
efficiency always, SLIC segments and the context region."""
from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pytest

from analyzer.explain.image_segments import (
    ImageBaseline,
    compose,
    context_region,
    count_segments,
    relabel,
    restrict,
    slic_segments,
    white_noise,
)
from analyzer.explain.image_shap import segment_kernel_shap


def _grid_labels(h: int, w: int, rows: int, cols: int) -> np.ndarray:
    r = np.minimum(np.arange(h) * rows // h, rows - 1)
    c = np.minimum(np.arange(w) * cols // w, cols - 1)
    return r[:, None] * cols + c[None, :]


def _exact(v, k: int) -> np.ndarray:
    """Shapley values by enumerating every coalition (independent of the estimator)."""
    phi = np.zeros(k)
    for i in range(k):
        others = [j for j in range(k) if j != i]
        for size in range(k):
            for s in combinations(others, size):
                w = factorial(size) * factorial(k - size - 1) / factorial(k)
                phi[i] += w * (v(set(s) | {i}) - v(set(s)))
    return phi


def _value_of(model, image, baseline, labels, k):
    def v(players: set) -> float:
        mask = np.zeros((1, k), bool)
        mask[0, list(players)] = True
        return float(model(compose(image, baseline, labels, mask))[0, 0])
    return v


def test_nonlinear_model_matches_exact_shapley_by_enumeration() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (24, 30, 3), dtype=np.uint8)
    baseline = white_noise(24, 30, seed=1)
    labels = _grid_labels(24, 30, 2, 4)  # 8 segments
    k = count_segments(labels)

    def model(batch: np.ndarray) -> np.ndarray:  # brightness of two regions, multiplied: interactions
        a = batch[:, :12, :15].mean(axis=(1, 2, 3)) / 255
        b = batch[:, 12:, 10:].mean(axis=(1, 2, 3)) / 255
        return np.column_stack([a * b + a ** 2, b])

    result = segment_kernel_shap(model, image, baseline, labels, num_samples=2 ** k - 2, seed=0)
    assert result.values.shape == (k, 2)
    exact = _exact(_value_of(model, image, baseline, labels, k), k)
    np.testing.assert_allclose(result.values[:, 0], exact, atol=1e-6)
    assert result.values.sum(axis=0) == pytest.approx(result.prediction - result.expected_value, abs=1e-9)
    assert result.expected_value[1] == pytest.approx(model(baseline[None])[0, 1])


def test_brightness_of_a_region_goes_to_the_segments_in_it_only() -> None:
    image = np.full((20, 20, 3), 200, np.uint8)
    baseline = np.zeros_like(image)
    labels = _grid_labels(20, 20, 2, 2)  # segments 0..3, segment 0 = top-left 10x10

    def model(batch: np.ndarray) -> np.ndarray:  # mean brightness of the top-left quarter (linear)
        return batch[:, :10, :10].mean(axis=(1, 2, 3))[:, None] / 255

    result = segment_kernel_shap(model, image, baseline, labels, num_samples=14)
    np.testing.assert_allclose(result.values[:, 0], [200 / 255, 0, 0, 0], atol=1e-9)


def test_efficiency_holds_with_sampled_coalitions() -> None:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    labels = _grid_labels(32, 32, 4, 4)  # 16 segments, 40 of 65534 coalitions

    def model(batch: np.ndarray) -> np.ndarray:
        m = batch.reshape(len(batch), -1).astype(float) / 255
        return np.column_stack([np.sin(m[:, :500].sum(1) / 100), m[:, 1000:].max(1)])

    calls = []
    result = segment_kernel_shap(lambda b: calls.append(len(b)) or model(b), image, white_noise(32, 32, 0),
                                 labels, num_samples=40, seed=1, chunk_images=16)
    assert result.num_samples == 40 and sum(calls) == 42 and max(calls) == 16
    assert result.values.sum(axis=0) == pytest.approx(result.prediction - result.expected_value, abs=1e-9)


def test_one_segment_takes_the_whole_difference() -> None:
    image = np.full((8, 8, 3), 90, np.uint8)
    result = segment_kernel_shap(lambda b: b.mean(axis=(1, 2, 3))[:, None], image, np.zeros_like(image),
                                 np.zeros((8, 8), np.intp))
    assert result.values.tolist() == [[90.0]]


def test_slic_gives_about_the_asked_number_of_consecutive_segments() -> None:
    yy, xx = np.mgrid[0:60, 0:80]  # smooth colours (SLIC merges pixel noise) with a sharp edge at x = 40
    image = np.stack([xx * 3, yy * 4, (xx + yy) * 2], -1).clip(0, 255).astype(np.uint8)
    image[:, 40:, 0] = 250
    labels = slic_segments(image, num_segments=12, compactness=5)
    k = count_segments(labels)
    assert 4 <= k <= 24
    assert set(np.unique(labels)) == set(range(k))
    assert len(set(labels[:, :38].ravel()) & set(labels[:, 42:].ravel())) == 0  # the edge is a boundary


def test_context_region_and_restriction() -> None:
    assert context_region(100, 200, (50, 20, 100, 60), 0.0) == (20, 60, 50, 100)
    assert context_region(100, 200, (50, 20, 100, 60), 1.0) == (0, 100, 0, 200)
    assert context_region(100, 200, (50, 20, 100, 60), 0.5) == (10, 80, 25, 150)
    labels = _grid_labels(10, 10, 2, 2)
    inside = restrict(labels, (0, 5, 0, 10))
    assert count_segments(inside) == 2 and (inside[5:] == -1).all()
    assert relabel(np.array([[5, 5, -1, 2]])).tolist() == [[0, 0, -1, 1]]


def test_pixels_outside_the_players_always_take_the_baseline() -> None:
    image = np.full((4, 4, 3), 255, np.uint8)
    labels = np.full((4, 4), -1)
    labels[:2] = 0
    out = compose(image, np.zeros_like(image), labels, np.array([[True], [False]]))
    assert out[0, :2].min() == 255 and out[0, 2:].max() == 0 and out[1].max() == 0


def test_baseline_image_is_resized_and_noise_is_seeded() -> None:
    given = ImageBaseline(image=np.full((4, 6, 3), 7, np.uint8))
    assert given.for_shape(10, 12).shape == (10, 12, 3) and given.for_shape(10, 12).max() == 7
    assert (ImageBaseline(seed=3).for_shape(5, 5) == white_noise(5, 5, 3)).all()
    assert not (white_noise(5, 5, 3) == white_noise(5, 5, 4)).all()
