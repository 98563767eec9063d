"""Post-training bias metrics: they compare the model's predictions for ``a`` and ``d``.

Formulas and messages follow smclarify 0.5 (see ``shared/spec/bias-metrics.md`` §3).
Differences are "a minus d" except the rejection-side metrics DCR, DRR, SD and TE
("d minus a"). In every difference, two sides that are both +inf give 0.
"""
from __future__ import annotations

import numpy as np

from analyzer.bias.flip import flip_test
from analyzer.bias.groups import INF, Groups, divide
from analyzer.bias.pretraining import conditional_demographic_disparity, positive_rate_difference
from analyzer.bias.registry import MetricUndefined, Stage, metric

POST: Stage = "post_training"


def _difference(first: float, second: float) -> float:
    """``first - second``, but 0.0 when both are +inf (smclarify's override)."""
    if first == INF and second == INF:
        return 0.0
    return first - second


def _require_both(g: Groups, prefix: str) -> None:
    if g.n_d == 0:
        raise MetricUndefined(f"{prefix}Facet set is empty")
    if g.n_a == 0:
        raise MetricUndefined(f"{prefix}Negated Facet set is empty")


@metric("DPPL", "Difference in Positive Proportions in Predicted Labels (DPPL)", POST)
def dppl(g: Groups) -> float:
    """Difference in Positive Proportions in Predicted Labels (DPPL).

    ``DPPL = q^_a - q^_d`` with ``q^ = n^(1) / n`` (share of positive predictions).
    Raises MetricUndefined "Negative facet set is empty." / "Facet set is empty.".
    """
    return positive_rate_difference(g, predicted=True)


@metric("DI", "Disparate Impact (DI)", POST)
def disparate_impact(g: Groups) -> float:
    """Disparate Impact (DI): ``q^_d / q^_a``.

    q^_a = 0 gives +inf (0.0 when q^_d is 0 too). Raises MetricUndefined
    "Negated facet set is empty" (a) or "Facet set is empty" (d), checked in that order.
    """
    n_a, n_d = g.n_a, g.n_d
    if n_a == 0:
        raise MetricUndefined("Negated facet set is empty")
    q_a = g.pred_counts(0)[1] / n_a
    if n_d == 0:
        raise MetricUndefined("Facet set is empty")
    return divide(g.pred_counts(1)[1] / n_d, q_a)


@metric("DCA", "Difference in Conditional Acceptance (DCA)", POST)
def dca(g: Groups) -> float:
    """Difference in Conditional Acceptance (DCA, "DCAcc" in the AWS docs).

    ``c = n^(1) / n^^(1)`` (observed over predicted positives); ``DCA = c_a - c_d``.
    x/0 = inf, 0/0 = 0. Raises "DCO: Facet set is empty" / "DCO: Negated Facet set is empty".
    """
    _require_both(g, "DCO: ")
    a, d = g.confusion(0), g.confusion(1)
    return _difference(divide(a.TP + a.FN, a.TP + a.FP), divide(d.TP + d.FN, d.TP + d.FP))


@metric("DCR", "Difference in Conditional Rejection (DCR)", POST)
def dcr(g: Groups) -> float:
    """Difference in Conditional Rejection (DCR).

    ``r = n^(0) / n^^(0)`` (observed over predicted negatives); ``DCR = r_d - r_a``.
    Errors as :func:`dca`.
    """
    _require_both(g, "DCO: ")
    a, d = g.confusion(0), g.confusion(1)
    r_a, r_d = divide(a.TN + a.FP, a.TN + a.FN), divide(d.TN + d.FP, d.TN + d.FN)
    return _difference(r_d, r_a)


@metric("RD", "Recall Difference (RD)", POST)
def recall_difference(g: Groups) -> float:
    """Recall Difference (RD): ``TPR_a - TPR_d`` with ``TPR = TP / (TP + FN)``.

    Raises "DLA: Facet set is empty" / "DLA: Negated Facet set is empty".
    """
    _require_both(g, "DLA: ")
    a, d = g.confusion(0), g.confusion(1)
    return _difference(divide(a.TP, a.TP + a.FN), divide(d.TP, d.TP + d.FN))


@metric("SD", "Specificity Difference (SD)", POST)
def specificity_difference(g: Groups) -> float:
    """Specificity Difference (SD): ``TNR_d - TNR_a`` with ``TNR = TN / (TN + FP)``.

    AWS docs example (a: TN 20, FP 10; d: TN 18, FP 5): 18/23 - 20/30 = 0.11594.
    Raises "DLA: Facet set is empty" / "DLA: Negated Facet set is empty".
    """
    _require_both(g, "DLA: ")
    a, d = g.confusion(0), g.confusion(1)
    s_a, s_d = divide(a.TN, a.TN + a.FP), divide(d.TN, d.TN + d.FP)
    return _difference(s_d, s_a)


@metric("DAR", "Difference in Acceptance Rates (DAR)", POST)
def dar(g: Groups) -> float:
    """Difference in Acceptance Rates (DAR): precision difference ``TP_a/n^_a(1) - TP_d/n^_d(1)``.

    Raises "DLR: Facet set is empty" / "DLR: Negated Facet set is empty".
    """
    _require_both(g, "DLR: ")
    a, d = g.confusion(0), g.confusion(1)
    return _difference(divide(a.TP, a.TP + a.FP), divide(d.TP, d.TP + d.FP))


@metric("DRR", "Difference in Rejection Rates (DRR)", POST)
def drr(g: Groups) -> float:
    """Difference in Rejection Rates (DRR): NPV difference ``TN_d/n^_d(0) - TN_a/n^_a(0)``.

    Raises "DLR: Facet set is empty" / "DLR: Negated Facet set is empty".
    """
    _require_both(g, "DLR: ")
    a, d = g.confusion(0), g.confusion(1)
    r_a, r_d = divide(a.TN, a.TN + a.FN), divide(d.TN, d.TN + d.FN)
    return _difference(r_d, r_a)


@metric("AD", "Accuracy Difference (AD)", POST)
def accuracy_difference(g: Groups) -> float:
    """Accuracy Difference (AD): ``ACC_a - ACC_d`` with ``ACC = (TP + TN) / n``.

    Raises "Facet set is empty" / "Negated Facet set is empty".
    """
    _require_both(g, "")
    a, d = g.confusion(0), g.confusion(1)
    return _difference(divide(a.TP + a.TN, a.n), divide(d.TP + d.TN, d.n))


@metric("TE", "Treatment Equality (TE)", POST)
def treatment_equality(g: Groups) -> float:
    """Treatment Equality (TE): ``FN_d / FP_d - FN_a / FP_a``.

    0/0 = 0 and x/0 = +inf, so FP = 0 on one side gives "Infinity" in the report.
    Raises "Facet set is empty" / "Negated Facet set is empty".
    """
    _require_both(g, "")
    a, d = g.confusion(0), g.confusion(1)
    t_a, t_d = divide(a.FN, a.FP), divide(d.FN, d.FP)
    return _difference(t_d, t_a)


@metric("CDDPL", "Conditional Demographic Disparity in Predicted Labels (CDDPL)", POST)
def cddpl(g: Groups) -> float:
    """Conditional Demographic Disparity in Predicted Labels (CDDPL): CDD of the predictions.

    See :func:`analyzer.bias.pretraining.conditional_demographic_disparity`.
    """
    g._need_pred()
    return conditional_demographic_disparity(g, g.pred)  # type: ignore[arg-type]


@metric("GE", "Generalized Entropy (GE)", POST)
def generalized_entropy(g: Groups) -> float:
    """Generalized Entropy (GE) with alpha = 2, over the whole dataset (facet-independent).

    ``b_i = yhat_i - y_i + 1`` in {0, 1, 2}; ``mu = mean(b)``;
    ``GE = sum_i ((b_i / mu)^2 - 1) / (2 N)``, computed from the counts of each b value.
    Raises "All predicted labels are false negatives. ..." when mu = 0.
    """
    g._need_pred()
    n = g.n
    if n == 0:
        raise MetricUndefined("dataset must be non-empty")
    cells = g.cells.sum(axis=0)  # [label, pred]
    c0, c2 = int(cells[1, 0]), int(cells[0, 1])  # false negatives, false positives
    c1 = n - c0 - c2
    mu = (c1 + 2 * c2) / n
    if mu == 0:
        raise MetricUndefined(
            "All predicted labels are false negatives. There should be at least one prediction "
            "that is not false negative."
        )
    terms = np.array([c0 * ((0 / mu) ** 2 - 1), c1 * ((1 / mu) ** 2 - 1), c2 * ((2 / mu) ** 2 - 1)])
    return float(terms.sum() / (n * 2))


@metric("FT", "Flip Test (FT)", POST)
def ft(g: Groups) -> float:
    """Flip Test (FT).

    A k-NN classifier (k = 5 if n_a > 9 else 1, uniform, Euclidean) is fit on the ``a``
    rows' features with the model's predicted labels as targets and predicts the ``d`` rows.
    ``FT = (#{d: model 1, kNN 0} - #{d: model 0, kNN 1}) / n_d``.
    Raises "Facet set is empty" / "Negated Facet set is empty", "FlipTest does not support
    non-numeric columns", or scikit-learn's own error (NaN features, no features).
    """
    _require_both(g, "")
    if g.features is None:
        raise MetricUndefined("FlipTest needs the feature columns")
    if g.features.error is not None:
        raise MetricUndefined(g.features.error)
    g._need_pred()
    facet, pred = g.facet, g.pred
    if g.features.rows is not None:  # weighted groups: masks per distinct row, features per data row
        facet, pred = facet[g.features.rows], pred[g.features.rows]  # type: ignore[index]
    try:
        return flip_test(g.features.array, facet, pred)  # type: ignore[arg-type]
    except ValueError as exc:  # scikit-learn's input validation (NaN, no features, ...)
        raise MetricUndefined(str(exc)) from exc
