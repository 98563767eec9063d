"""The estimate of one design: the efficiency-constrained least-squares SHAP values, their Monte-Carlo
variance, and the draws' influences that give the global values' standard errors (see the
"Convergence estimate" section of :mod:`analyzer.explain.kernel_shap`)."""
from __future__ import annotations

import numpy as np

from analyzer.explain._design import CoalitionDesign, Solver, rowwise_matmul


def solve(solver: Solver, y: np.ndarray, delta: np.ndarray):
    """phi (r, m, d), its variance, and each record's residual differences per draw (r, u, d), from
    which :mod:`analyzer.explain._influence` sums the draws' influences on the global values."""
    design = solver.design
    r, s, d = y.shape
    m = solver.q.shape[0]
    z = design.masks.astype(float)
    phi = np.empty((r, m, d))
    for k in range(d):
        phi[:, :, k] = rowwise_matmul(y[:, :, k], solver.q.T) + delta[:, k, None] * solver.u[None, :]
    units = len(design.unit_counts)
    var = np.zeros((r, m, d))
    diffs = np.zeros((r, units, d))
    if units == 0:
        return phi, var, diffs
    first, second = design.unit_first, design.unit_second
    paired = second >= 0
    g = influence_map(solver)
    counts = design.unit_counts
    total = counts.sum()
    scale = design.random_scale**2 * total / (total - 1) if total > 1 else np.nan
    for k in range(d):
        resid = y[:, :, k] - rowwise_matmul(phi[:, :, k], z.T)  # (r, s)
        diff = resid[:, first] - np.where(paired[None, :], resid[:, np.where(paired, second, 0)], 0.0)
        m1 = rowwise_matmul(diff * counts[None, :], g)
        m2 = rowwise_matmul(diff**2 * counts[None, :], g**2)
        var[:, :, k] = np.maximum(m2 - m1**2 / total, 0.0) * scale
        diffs[:, :, k] = diff
    if not np.isfinite(scale):
        var[:] = np.nan
    return phi, var, diffs


def influence_map(solver: Solver) -> np.ndarray:
    """(u, m): ``Cov @ z_i`` for each random unit's first mask."""
    return solver.design.masks[solver.design.unit_first].astype(float) @ solver.cov


def draw_variance(design: CoalitionDesign, infl: np.ndarray) -> np.ndarray:
    counts = design.unit_counts
    total = counts.sum()
    if len(counts) == 0:
        return np.zeros(infl.shape[1:])
    if total <= 1:
        return np.full(infl.shape[1:], np.nan)
    c = counts[:, None, None]
    s1 = (c * infl).sum(axis=0)
    s2 = (c * infl**2).sum(axis=0)
    return np.maximum(s2 - s1**2 / total, 0.0) * design.random_scale**2 * total / (total - 1)


def median_se(local: np.ndarray, local_var: np.ndarray, pattern_of: np.ndarray) -> np.ndarray:
    """SE of the per-feature median: kernel-weighted errors of the records near the median, fully
    correlated within a pattern (they share a design) and independent across patterns."""
    n = local.shape[0]
    if n == 0:
        return np.zeros(local.shape[1:])
    med = np.median(local, axis=0)
    spread = np.std(local, axis=0)
    h = np.where(spread > 0, 1.06 * spread * n ** (-0.2), 1.0)
    k = np.exp(-0.5 * ((local - med) / h) ** 2)
    per_pattern = np.zeros((int(pattern_of.max()) + 1,) + local.shape[1:])
    np.add.at(per_pattern, pattern_of, k * np.sqrt(local_var))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((per_pattern**2).sum(axis=0)) / k.sum(axis=0)
    return np.where(spread > 0, se, np.sqrt(local_var.max(axis=0, initial=0.0)))
