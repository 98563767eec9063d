"""The draws' influences on the global values (their standard errors, see the "Convergence estimate"
section of :mod:`analyzer.explain.kernel_shap`), summed so that the result does not depend on how
the records were split into model calls or across Dask workers.

A pattern's records are cut, in pattern order, into fixed blocks of :data:`BLOCK` records. A block's
influence is one product of fixed shape (padded to ``BLOCK`` rows, so BLAS takes the same path
whatever else was computed with it), and the blocks are added along a fixed binary tree over their
block numbers (:class:`TreeSum`). Any contiguous run of blocks reduces to the same complete subtrees,
so a worker that explains blocks 7..19 returns a few subtree sums that the leader combines into
exactly the bits a single process gets.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analyzer.explain._design import CoalitionDesign, Solver
from analyzer.explain._estimate import draw_variance, influence_map

#: Records per influence block (shards of a Kernel SHAP run start at multiples of it within a pattern).
BLOCK = 32


@dataclass
class TreeSum:
    """The sum of leaves 0..L-1 along the binary tree over leaf numbers: a node is the sum of its two
    children; a node with one child present is that child. Leaves and subtrees may arrive in any
    order and from several places; ``nodes`` holds the complete subtrees not yet paired."""

    nodes: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def add(self, level: int, index: int, value: np.ndarray) -> None:
        while (level, index ^ 1) in self.nodes:
            value = value + self.nodes.pop((level, index ^ 1))   # a + b == b + a exactly
            level, index = level + 1, index // 2
        self.nodes[(level, index)] = value

    def merge(self, other: TreeSum) -> None:
        for (level, index), value in sorted(other.nodes.items()):
            self.add(level, index, value)

    def total(self) -> np.ndarray | None:
        """Once every leaf is in: the root, i.e. the remaining subtrees folded from the right."""
        ordered = [self.nodes[k] for k in sorted(self.nodes, key=lambda k: k[1] << k[0])]
        if not ordered:
            return None
        out = ordered[-1]
        for value in reversed(ordered[:-1]):
            out = value + out
        return out


@dataclass
class PatternInfluence:
    """Influence sums of one pattern (``abs`` for mean_abs, ``sq`` for mean_sq), block by block."""

    design: CoalitionDesign
    g: np.ndarray                 # (u, m) Cov @ z_i
    n_total: int                  # records in the whole run (the global values are means over them)
    count: int                    # records of this pattern in the whole run
    abs: TreeSum = field(default_factory=TreeSum)
    sq: TreeSum = field(default_factory=TreeSum)
    pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    @classmethod
    def start(cls, solver: Solver, n_total: int, count: int) -> PatternInfluence:
        return cls(solver.design, influence_map(solver), n_total, count)

    def add(self, positions: np.ndarray, diffs: np.ndarray, phi: np.ndarray) -> None:
        """Records at ``positions`` (consecutive, within the pattern) with their residual differences
        (r, u, d) and values (r, m, d); every block they complete goes into the sums."""
        self.pending.append((positions, diffs, phi))
        pos = np.concatenate([p for p, _, _ in self.pending])
        ends = np.flatnonzero((pos % BLOCK == BLOCK - 1) | (pos == self.count - 1))
        if len(ends) == 0:
            return
        diffs = np.concatenate([d for _, d, _ in self.pending])
        phi = np.concatenate([f for _, _, f in self.pending])
        start = 0
        for end in ends.tolist():
            self._block(int(pos[start]) // BLOCK, diffs[start:end + 1], phi[start:end + 1])
            start = end + 1
        self.pending = [(pos[start:], diffs[start:], phi[start:])] if start < len(pos) else []

    def finish(self, count: int) -> None:
        """The pattern has ``count`` records after all (a run that learns it at the end, e.g. over a
        dataset read in chunks, starts with a larger count): its last, partial block goes in."""
        self.count = count
        if self.pending:
            self.add(*self.pending.pop())

    def _block(self, number: int, diffs: np.ndarray, phi: np.ndarray) -> None:
        r, units, d = diffs.shape
        m = phi.shape[1]
        dpad, ppad = np.zeros((BLOCK, units)), np.zeros((BLOCK, m))
        infl_abs, infl_sq = np.empty((units, m, d)), np.empty((units, m, d))
        for k in range(d):
            dpad[:r], ppad[:r] = diffs[:, :, k], np.sign(phi[:, :, k])
            infl_abs[:, :, k] = (dpad.T @ ppad) * self.g / self.n_total
            ppad[:r] = 2.0 * phi[:, :, k]
            infl_sq[:, :, k] = (dpad.T @ ppad) * self.g / self.n_total
        self.abs.add(0, number, infl_abs)
        self.sq.add(0, number, infl_sq)

    def merge(self, other: PatternInfluence) -> None:
        self.abs.merge(other.abs)
        self.sq.merge(other.sq)

    def shippable(self) -> PatternInfluence:
        """The part a worker returns: the subtree sums (no pending records: shards end on blocks)."""
        assert not self.pending, "a shard ended inside an influence block"
        return PatternInfluence(self.design, np.empty((0, 0)), self.n_total, self.count, self.abs, self.sq)

    def variances(self, m: int, d: int) -> tuple[np.ndarray, np.ndarray]:
        """(mean_abs, mean_sq) variance contributions (m, d) of the pattern's draws."""
        totals = [tree.total() for tree in (self.abs, self.sq)]
        empty = np.zeros((len(self.design.unit_counts), m, d))
        return tuple(draw_variance(self.design, empty if t is None else t) for t in totals)  # type: ignore[return-value]


#: A pattern's records of one part: positions within the pattern, residual differences (r, u, d), values (r, m, d).
Records = tuple[np.ndarray, np.ndarray, np.ndarray]


def whole_blocks(start: int, end: int, count: int) -> tuple[int, int]:
    """The positions ``[lo, hi)`` of the blocks that lie entirely in a part holding a pattern's positions
    ``[start, end)`` of ``count``; ``(end, end)`` when no block does."""
    lo = -(-start // BLOCK) * BLOCK
    hi = end if end == count else end // BLOCK * BLOCK
    return (lo, hi) if lo < hi else (end, end)


@dataclass
class PartInfluence(PatternInfluence):
    """A pattern's influence sums in one part of the records: the blocks within ``[lo, hi)``
    (:func:`whole_blocks`) go into the trees; the records before ``lo`` (``head``, finishing a block an
    earlier part began) and from ``hi`` on (``tail``, a block a later part finishes) are kept raw for
    whoever merges the parts in record order."""

    lo: int = 0
    hi: int = 0
    head: list[Records] = field(default_factory=list)
    tail: list[Records] = field(default_factory=list)

    def add(self, positions: np.ndarray, diffs: np.ndarray, phi: np.ndarray) -> None:
        a, b = np.searchsorted(positions, [self.lo, self.hi]).tolist()   # positions ascend
        if a:
            self.head.append((positions[:a], diffs[:a], phi[:a]))
        if a < b:
            super().add(positions[a:b], diffs[a:b], phi[a:b])
        if b < len(positions):
            self.tail.append((positions[b:], diffs[b:], phi[b:]))


def joined(records: list[Records]) -> Records | None:
    """Records kept in pieces as one piece (None when there are none)."""
    if not records:
        return None
    return tuple(np.concatenate([r[i] for r in records]) for i in range(3))  # type: ignore[return-value]
