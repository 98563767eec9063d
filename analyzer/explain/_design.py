"""Coalition designs for Kernel SHAP: shap's sampling schedule, and the constrained WLS solver.

The schedule (facts from Lundberg & Lee 2017 and shap.KernelExplainer, spec §2.3; code our own):

1. Budget ``S = min(num_samples, 2**M - 2)`` (the cap only matters for M <= 30).
2. Coalition sizes ``s = 1 .. ceil((M-1)/2)`` carry the Shapley-kernel mass ``(M-1)/(s(M-s))``,
   doubled for the "paired" sizes ``s <= floor((M-1)/2)`` (size s and its complement M-s together).
3. Smallest sizes first: a size is fully enumerated (each subset followed by its complement) when
   the remaining budget times its renormalised mass covers all its subsets; stop at the first
   size that does not fit. Each enumerated mask gets kernel weight ``w_s / C(M, s)`` (halved
   if paired).
4. The rest of the budget is random: draw a size from the remaining (halved-for-paired) size
   distribution, a uniform subset of that size, add it and its complement. A mask drawn again
   is not added twice; its count goes up instead. The random masks share the remaining kernel
   mass in proportion to their counts.

The solver keeps the efficiency constraint ``sum(phi) = delta`` exactly by writing
``phi = delta/M * 1 + N theta`` with ``N`` an orthonormal basis of ``{sum = 0}`` and taking the
minimum-norm weighted least-squares ``theta`` (``pinv``). It never calls ``solve`` on the normal
equations, so a rank-deficient design (``S < M``) gives a bounded, symmetric min-norm split
instead of shap's 1e27-sized values.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from math import comb

import numpy as np

#: Singular values below this fraction of the largest are treated as zero in the pseudo-inverse.
#: A paired design is exactly rank-deficient when S < M (a mask and its complement are the same
#: direction once the sum is fixed); round-off leaves ~1e-15 singular values there, and keeping
#: them (numpy's legacy default cutoff is 1e-15) would give 1e12-sized values.
PINV_RCOND = 1e-10
#: Stop drawing random coalitions after this many batches (each batch has 4x the missing samples).
_MAX_DRAW_BATCHES = 200


@dataclass(frozen=True)
class CoalitionDesign:
    """A set of coalitions for ``m`` players with their Shapley-kernel regression weights.

    Attributes
    ----------
    masks : (S, m) bool
        Row s is coalition s (True = present). Enumerated masks first, then random units.
    weights : (S,) float
        Kernel weights; they sum to 1.
    unit_first, unit_second : (U,) int
        For each random sampling unit (a drawn mask and, if its size is paired, its
        complement): the row of the mask and of the complement (-1 when none).
    unit_counts : (U,) float
        How many draws landed on the unit.
    random_scale : float
        ``random_mass / sum over random rows of their counts``: the weight of one count.
    """

    masks: np.ndarray
    weights: np.ndarray
    unit_first: np.ndarray
    unit_second: np.ndarray
    unit_counts: np.ndarray
    random_scale: float

    @property
    def num_samples(self) -> int:
        return int(self.masks.shape[0])


def effective_num_samples(m: int, num_samples: int | None) -> int:
    """The coalition budget shap uses for ``m`` varying players: auto ``2m + 2048``, capped at ``2^m - 2``."""
    budget = 2 * m + 2048 if num_samples is None else int(num_samples)
    if m <= 30:
        budget = min(budget, 2**m - 2)
    return budget


def _size_weights(m: int) -> tuple[np.ndarray, int]:
    num_sizes = (m - 1 + 1) // 2  # ceil((m-1)/2)
    num_paired = (m - 1) // 2
    sizes = np.arange(1, num_sizes + 1, dtype=float)
    weights = (m - 1.0) / (sizes * (m - sizes))
    weights[:num_paired] *= 2.0
    return weights / weights.sum(), num_paired


@lru_cache(maxsize=256)
def _enumerated(m: int, budget: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Fully enumerated part of the schedule: (masks, weights, sizes enumerated, budget left)."""
    weight_vector, num_paired = _size_weights(m)
    remaining = weight_vector.copy()
    left = budget
    blocks: list[np.ndarray] = []
    block_weights: list[np.ndarray] = []
    num_full = 0
    for size in range(1, len(weight_vector) + 1):
        paired = size <= num_paired
        n_subsets = comb(m, size) * (2 if paired else 1)
        if left * remaining[size - 1] / n_subsets < 1.0 - 1e-8:
            break
        num_full += 1
        left -= n_subsets
        if remaining[size - 1] < 1.0:
            remaining = remaining / (1.0 - remaining[size - 1])
        w = weight_vector[size - 1] / comb(m, size) / (2.0 if paired else 1.0)
        combos = np.array(list(itertools.combinations(range(m), size)), dtype=np.intp)
        block = np.zeros((len(combos), m), dtype=bool)
        block[np.arange(len(combos))[:, None], combos] = True
        if paired:  # each subset followed by its complement, as shap adds them
            block = np.stack([block, ~block], axis=1).reshape(-1, m)
        blocks.append(block)
        block_weights.append(np.full(len(block), w))
    masks = np.concatenate(blocks) if blocks else np.zeros((0, m), dtype=bool)
    weights = np.concatenate(block_weights) if block_weights else np.zeros(0)
    masks.setflags(write=False)
    weights.setflags(write=False)
    return masks, weights, num_full, left


def coalition_design(m: int, num_samples: int | None, rng: np.random.Generator) -> CoalitionDesign:
    """Build shap's coalition schedule for ``m >= 2`` players (see the module docstring).

    One function on purpose: its steps follow shap's sampling loop and share its bookkeeping."""
    if m < 2:
        raise ValueError("a coalition design needs at least 2 players")
    budget = effective_num_samples(m, num_samples)
    fixed_masks, fixed_weights, num_full, left = _enumerated(m, budget)
    weight_vector, num_paired = _size_weights(m)
    empty_int = np.zeros(0, dtype=np.intp)
    if num_full == len(weight_vector) or left <= 0:
        total = fixed_weights.sum()
        return CoalitionDesign(fixed_masks, fixed_weights / total, empty_int, empty_int,
                               np.zeros(0), 0.0)

    size_p = weight_vector.copy()
    size_p[:num_paired] /= 2.0
    size_p = size_p[num_full:]
    size_p /= size_p.sum()
    random_mass = float(weight_vector[num_full:].sum())

    draws: list[np.ndarray] = []
    draw_sizes: list[np.ndarray] = []
    for _ in range(_MAX_DRAW_BATCHES):
        batch = 4 * left
        sizes = rng.choice(len(size_p), batch, p=size_p) + num_full + 1
        ranks = rng.random((batch, m)).argsort(axis=1).argsort(axis=1)
        draws.append(ranks < sizes[:, None])
        draw_sizes.append(sizes)
        masks = np.concatenate(draws)
        sizes_all = np.concatenate(draw_sizes)
        packed = np.ascontiguousarray(np.packbits(masks, axis=1))
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()  # one sortable key per mask
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        is_new = first[inverse] == np.arange(len(masks))
        paired = sizes_all <= num_paired
        cost = np.where(is_new, np.where(paired, 2, 1), 0)
        filled = np.cumsum(cost)
        stop = int(np.searchsorted(filled, left))  # first draw where the budget is reached
        if stop < len(masks):
            break
    else:  # pragma: no cover - needs num_samples within a few of 2^m - 2 and bad luck
        stop = len(masks) - 1

    used = slice(0, stop + 1)
    new_idx = np.flatnonzero(is_new[used])
    counts = np.bincount(inverse[used], minlength=len(first))[inverse[new_idx]].astype(float)
    unit_paired = paired[new_idx].copy()
    if filled[stop] > left:  # the budget ran out between a mask and its complement
        unit_paired[-1] = False
    unit_masks = masks[new_idx]
    n_rows = np.where(unit_paired, 2, 1)
    starts = len(fixed_masks) + np.concatenate([[0], np.cumsum(n_rows)[:-1]])
    rows = [fixed_masks]
    random_rows = np.empty((int(n_rows.sum()), m), dtype=bool)
    random_rows[starts - len(fixed_masks)] = unit_masks
    second = np.where(unit_paired, starts + 1, -1)
    random_rows[second[unit_paired] - len(fixed_masks)] = ~unit_masks[unit_paired]
    rows.append(random_rows)
    row_counts = np.repeat(counts, n_rows)
    scale = random_mass / row_counts.sum()
    weights = np.concatenate([fixed_weights, row_counts * scale])
    total = weights.sum()
    return CoalitionDesign(
        masks=np.concatenate(rows),
        weights=weights / total,
        unit_first=starts.astype(np.intp),
        unit_second=second.astype(np.intp),
        unit_counts=counts,
        random_scale=scale / total,
    )


@lru_cache(maxsize=64)
def _null_basis(m: int) -> np.ndarray:
    """Orthonormal basis (m, m-1) of the vectors that sum to zero."""
    q, _ = np.linalg.qr(np.column_stack([np.ones(m), np.eye(m)[:, : m - 1]]))
    basis = q[:, 1:]
    basis.setflags(write=False)
    return basis


@dataclass(frozen=True)
class Solver:
    """Precomputed constrained WLS for one design: ``phi = y @ Q.T + delta * u``.

    ``cov`` is ``N (X^T W X)^+ N^T``, the map from a weighted score to a change in ``phi``
    (used by the variance estimate).
    """

    design: CoalitionDesign
    q: np.ndarray  # (m, S)
    u: np.ndarray  # (m,)
    cov: np.ndarray  # (m, m)


def make_solver(design: CoalitionDesign) -> Solver:
    z = design.masks.astype(float)
    m = z.shape[1]
    basis = _null_basis(m)
    sqrt_w = np.sqrt(design.weights)
    b_pinv = np.linalg.pinv(sqrt_w[:, None] * (z @ basis), rcond=PINV_RCOND)  # (m-1, S), min-norm
    q = basis @ (b_pinv * sqrt_w[None, :])
    u = (1.0 - q @ z.sum(axis=1)) / m
    cov = basis @ (b_pinv @ b_pinv.T) @ basis.T
    return Solver(design, q, u, cov)


_BLOCK = 32


def rowwise_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` computed in fixed 32-row blocks, so each row's bits do not depend on how many rows
    came with it (BLAS picks different kernels by shape); keeps results chunk-size independent."""
    n = a.shape[0]
    out = np.empty((n, b.shape[1]))
    for start in range(0, n, _BLOCK):
        part = a[start:start + _BLOCK]
        if len(part) < _BLOCK:
            part = np.concatenate([part, np.zeros((_BLOCK - len(part), a.shape[1]))])
        out[start:start + _BLOCK] = (part @ b)[: min(_BLOCK, n - start)]
    return out
