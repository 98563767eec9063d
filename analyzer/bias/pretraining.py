"""Pre-training bias metrics: they compare the observed labels of ``a`` and ``d``.

Formulas and messages follow smclarify 0.5 (see ``shared/spec/bias-metrics.md`` §2).
"""
from __future__ import annotations

import numpy as np

from analyzer.bias.groups import Groups, divide
from analyzer.bias.registry import MetricUndefined, Stage, metric

PRE: Stage = "pre_training"
NO_COMMON = "No instance of common facet found, dataset may be too small"


@metric("CI", "Class Imbalance (CI)", PRE)
def class_imbalance(g: Groups) -> float:
    """Class Imbalance (CI).

    ``CI = (n_a - n_d) / (n_a + n_d)``, in [-1, 1]; positive when ``d`` is the smaller group.

    Raises MetricUndefined when ``a`` is empty ("CI: negated facet set is empty. ...") or
    when ``d`` is empty ("CI: facet set is empty. ...").
    """
    n_a, n_d = g.n_a, g.n_d
    if n_a == 0:
        raise MetricUndefined("CI: negated facet set is empty. Check that x[~facet] has non-zero length.")
    if n_d == 0:
        raise MetricUndefined("CI: facet set is empty. Check that x[facet] has non-zero length.")
    return float(n_a - n_d) / (n_a + n_d)


def positive_rate_difference(g: Groups, *, predicted: bool) -> float:
    """``q_a - q_d`` with ``q = positives / n`` of the labels (DPL) or predictions (DPPL).

    Raises MetricUndefined "Negative facet set is empty." / "Facet set is empty.".
    """
    counts = g.pred_counts if predicted else g.label_counts
    n_a, n_d = g.n_a, g.n_d
    if n_a == 0:
        raise MetricUndefined("Negative facet set is empty.")
    if n_d == 0:
        raise MetricUndefined("Facet set is empty.")
    return counts(0)[1] / n_a - counts(1)[1] / n_d


@metric("DPL", "Difference in Positive Proportions in Labels (DPL)", PRE)
def dpl(g: Groups) -> float:
    """Difference in Positive Proportions in Labels (DPL).

    ``DPL = q_a - q_d`` where ``q = n^(1) / n`` is the share of positive labels in a group.
    Errors as :func:`positive_rate_difference`.
    """
    return positive_rate_difference(g, predicted=False)


def aligned_distributions(counts_a: np.ndarray, counts_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label distributions of a and d restricted to values present in both, NOT renormalised.

    ``counts_*`` are counts per label value in one fixed (sorted) value order. Empty result
    arrays mean no shared value; callers then raise "No instance of common facet found...".
    """
    counts_a = np.asarray(counts_a)
    counts_d = np.asarray(counts_d)
    n_a, n_d = counts_a.sum(), counts_d.sum()
    shared = (counts_a > 0) & (counts_d > 0)
    if not shared.any():
        return np.empty(0), np.empty(0)
    return counts_a[shared] / n_a, counts_d[shared] / n_d


def _distributions(g: Groups) -> tuple[np.ndarray, np.ndarray]:
    # Label values in sorted order: False (negative) then True (positive).
    p_a, p_d = aligned_distributions(np.array(g.label_counts(0)), np.array(g.label_counts(1)))
    if p_a.size == 0:
        raise MetricUndefined(NO_COMMON)
    return p_a, p_d


@metric("KL", "Kullback-Liebler Divergence (KL)", PRE)
def kl(g: Groups) -> float:
    """Kullback-Liebler Divergence (KL) [sic, Clarify's spelling].

    ``KL = sum_y P_a(y) ln(P_a(y) / P_d(y))`` over label values y present in both groups.
    P_a, P_d are not renormalised after that restriction, so KL can be negative: with
    P_a = (0.5, 0.5) and no negatives in d it is 0.5 ln 0.5 = -0.3466.
    Raises MetricUndefined "No instance of common facet found, dataset may be too small"
    when no label value occurs in both groups (always the case for an empty group).
    """
    p_a, p_d = _distributions(g)
    return float(np.sum(p_a * np.log(p_a / p_d)))


@metric("JS", "Jensen-Shannon Divergence (JS)", PRE)
def js(g: Groups) -> float:
    """Jensen-Shannon Divergence (JS).

    ``JS = 0.5 [sum P_a ln(P_a / P) + sum P_d ln(P_d / P)]`` with ``P = (P_a + P_d) / 2``,
    over the shared label values (see :func:`kl` for the support rule and error).
    """
    p_a, p_d = _distributions(g)
    p = 0.5 * (p_a + p_d)
    return float(0.5 * (np.sum(p_a * np.log(p_a / p)) + np.sum(p_d * np.log(p_d / p))))


@metric("LP", "L-p Norm (LP)", PRE)
def lp(g: Groups) -> float:
    """L-p Norm (LP) with p = 2: ``||P_a - P_d||_2`` over the shared label values."""
    p_a, p_d = _distributions(g)
    return float(np.linalg.norm(p_a - p_d, 2))


@metric("TVD", "Total Variation Distance (TVD)", PRE)
def tvd(g: Groups) -> float:
    """Total Variation Distance (TVD): ``0.5 ||P_a - P_d||_1`` over the shared label values."""
    p_a, p_d = _distributions(g)
    return 0.5 * float(np.linalg.norm(p_a - p_d, 1))


@metric("KS", "Kolmogorov-Smirnov Distance (KS)", PRE)
def ks(g: Groups) -> float:
    """Kolmogorov-Smirnov Distance (KS): ``max_y |P_a(y) - P_d(y)|`` over the shared values.

    Not a CDF-based KS: for a binary label it is |DPL| when both classes occur in both groups.
    """
    p_a, p_d = _distributions(g)
    return float(np.linalg.norm(p_a - p_d, np.inf))


def conditional_demographic_disparity(g: Groups, outcome: np.ndarray) -> float:
    """CDD of a boolean outcome (labels for CDDL, predictions for CDDPL).

    For each group value ``k`` (sorted; missing values drop out):
    ``A_k = #(pos & d & k) / #(pos & k)``, ``D_k = #(neg & d & k) / #(neg & k)`` (0 when the
    denominator is 0), ``DD_k = D_k - A_k``; ``CDD = sum_k n_k DD_k / sum_k n_k``.
    No empty-facet check: an empty d gives 0.0.

    Raises MetricUndefined "Group variable is empty or not provided", "No positive labels
    in set" (no positive outcome at all) or "No negative labels in set".
    """
    if g.group is None or g.group.size == 0:
        raise MetricUndefined("Group variable is empty or not provided")
    w = g.weights
    n_pos = int(np.count_nonzero(outcome)) if w is None else int(w[outcome].sum())
    if n_pos == 0:
        raise MetricUndefined("No positive labels in set")
    if n_pos == g.n:
        raise MetricUndefined("No negative labels in set")
    k = g.n_group_codes
    valid = g.group >= 0
    code = g.group[valid].astype(np.int64) * 4 + outcome[valid] * 2 + g.facet[valid]
    weights = None if w is None else w[valid]
    cells = np.bincount(code, weights=weights, minlength=4 * k).reshape(k, 2, 2).astype(np.float64)
    # cells[k, outcome, facet]
    counts = cells.sum(axis=(1, 2))
    pos, neg = cells[:, 1, :].sum(axis=1), cells[:, 0, :].sum(axis=1)
    a = np.divide(cells[:, 1, 1], pos, out=np.zeros(k), where=pos != 0)
    d = np.divide(cells[:, 0, 1], neg, out=np.zeros(k), where=neg != 0)
    return float(divide(np.sum(counts * (d - a)), np.sum(counts)))


@metric("CDDL", "Conditional Demographic Disparity in Labels (CDDL)", PRE)
def cddl(g: Groups) -> float:
    """Conditional Demographic Disparity in Labels (CDDL): CDD of the observed labels.

    See :func:`conditional_demographic_disparity` for the formula and errors.
    """
    return conditional_demographic_disparity(g, g.label)
