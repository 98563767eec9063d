"""Kernel SHAP's chunks of records (analyzer.explain._patterns.chunks): every record once and in order,
within the row limit, small at the start and at the end when there is more than one call's worth."""
from __future__ import annotations

import numpy as np
import pytest

from analyzer.explain._patterns import RAMP, chunks


def _sizes(rows: np.ndarray, max_rows: int) -> tuple[list[np.ndarray], list[int]]:
    parts = list(chunks(np.arange(len(rows)), rows, max_rows))
    return parts, [int(rows[p].sum()) for p in parts]


@pytest.mark.parametrize("seed", range(20))
def test_every_record_once_in_order_and_within_the_limit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 300, size=int(rng.integers(1, 3000)))
    max_rows = int(rng.integers(50, 20_000))
    parts, sizes = _sizes(rows, max_rows)
    np.testing.assert_array_equal(np.concatenate(parts), np.arange(len(rows)))
    for part, size in zip(parts, sizes):
        assert size <= max_rows or len(part) == 1   # only a record bigger than the limit goes over it


def test_one_chunk_when_everything_fits() -> None:
    _, sizes = _sizes(np.full(100, 10), 1000)
    assert sizes == [1000]


def test_small_first_chunks_doubling_and_small_last_ones() -> None:
    """2.6M rows in 160k-row calls (the Adult job at num_samples=100): 20k, 40k, 80k, then full calls,
    then halves of what is left; none smaller than 20k but the merged rest."""
    _, sizes = _sizes(np.full(25_400, 101), 160_000)
    smallest = 160_000 // RAMP
    assert sizes[:4] == [19_998, 39_996, 79_992, 159_984]
    assert all(s == 159_984 for s in sizes[3:-4])
    assert sizes[-4:] == [92_819, 46_359, 23_230, 23_230]
    assert all(s >= smallest - 101 for s in sizes)
    assert sum(sizes) == 25_400 * 101
