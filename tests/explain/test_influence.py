"""The fixed-tree sums behind chunk- and shard-independent global standard errors."""
from __future__ import annotations

import numpy as np

from analyzer.explain._influence import TreeSum


def _leaves(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(n)
    return [rng.normal(size=3) * 10.0 ** rng.integers(-8, 8) for _ in range(n)]


def test_any_split_into_runs_gives_the_same_bits_and_the_sum() -> None:
    for n in (1, 2, 7, 32, 45):
        leaves = _leaves(n)
        whole = TreeSum()
        for i, leaf in enumerate(leaves):
            whole.add(0, i, leaf)
        total = whole.total()
        assert total is not None
        np.testing.assert_allclose(total, np.sum(leaves, axis=0), rtol=1e-9, atol=1e-6)
        rng = np.random.default_rng(n + 100)
        for _ in range(5):
            cuts = sorted(set(rng.integers(0, n, size=3).tolist()) | {0, n})
            parts = []
            for a, b in zip(cuts[:-1], cuts[1:]):
                part = TreeSum()
                for i in range(a, b):
                    part.add(0, i, leaves[i])
                parts.append(part)
            merged = TreeSum()
            for part in rng.permutation(len(parts)).tolist():   # shards come back in any order
                merged.merge(parts[part])
            np.testing.assert_array_equal(merged.total(), total)


def test_the_tree_is_not_a_running_sum() -> None:
    """Seven leaves fold as ((0+1)+(2+3)) + ((4+5)+6): the order a running sum would not take."""
    leaves = [np.array([v]) for v in (1e16, 1.0, -1e16, 1.0, 3.0, 1e-3, 2.0)]
    tree = TreeSum()
    for i, leaf in enumerate(leaves):
        tree.add(0, i, leaf)
    expected = ((leaves[0] + leaves[1]) + (leaves[2] + leaves[3])) + ((leaves[4] + leaves[5]) + leaves[6])
    np.testing.assert_array_equal(tree.total(), expected)
    assert TreeSum().total() is None
