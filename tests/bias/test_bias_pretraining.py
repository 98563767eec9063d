"""Pre-training metrics on hand-checked fixtures (arithmetic in the comments)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from bias_fixtures import FACET, GROUP, LABEL, groups

from analyzer.bias import pretraining as pre
from analyzer.bias.registry import MetricUndefined

G = groups(FACET, LABEL, group=GROUP)


def test_class_imbalance():
    # (n_a - n_d) / n = (6 - 4) / 10
    assert pre.class_imbalance(G) == pytest.approx(0.2)


def test_dpl():
    # q_a - q_d = 3/6 - 1/4
    assert pre.dpl(G) == pytest.approx(0.25)


def test_divergences():
    # P_a = (1/2, 1/2), P_d = (3/4, 1/4) over (negative, positive)
    kl = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)  # = 0.5 ln(4/3)
    assert pre.kl(G) == pytest.approx(kl) and kl == pytest.approx(0.1438410362)
    # P = (5/8, 3/8)
    js = 0.5 * (0.5 * math.log(0.5 / 0.625) + 0.5 * math.log(0.5 / 0.375)
                + 0.75 * math.log(0.75 / 0.625) + 0.25 * math.log(0.25 / 0.375))
    assert pre.js(G) == pytest.approx(js)
    assert pre.lp(G) == pytest.approx(math.sqrt(0.25**2 + 0.25**2))  # 0.353553
    assert pre.tvd(G) == pytest.approx(0.5 * (0.25 + 0.25))
    assert pre.ks(G) == pytest.approx(0.25)


def test_kl_is_negative_when_d_has_no_negatives():
    # a: 2 positives of 5 -> P_a = (0.6, 0.4); d: all positive -> P_d = (0, 1).
    # Only "positive" is shared and nothing is renormalised: KL = 0.4 ln(0.4 / 1).
    g = groups([0, 0, 0, 0, 0, 1, 1], [1, 1, 0, 0, 0, 1, 1])
    assert pre.kl(g) == pytest.approx(-0.366516, abs=1e-6)
    # LP / TVD / KS over the shared value only: |0.4 - 1| = 0.6
    assert pre.lp(g) == pytest.approx(0.6)
    assert pre.tvd(g) == pytest.approx(0.3)
    assert pre.ks(g) == pytest.approx(0.6)


def test_no_common_label_value():
    # a all negative, d all positive: nothing shared.
    g = groups([0, 0, 1, 1], [0, 0, 1, 1])
    for fn in (pre.kl, pre.js, pre.lp, pre.tvd, pre.ks):
        with pytest.raises(MetricUndefined, match="^No instance of common facet found, dataset may be too small$"):
            fn(g)


def test_empty_groups_messages():
    no_d = groups([0, 0, 0], [1, 0, 1], group=[0, 0, 1])
    no_a = groups([1, 1, 1], [1, 0, 1])
    with pytest.raises(MetricUndefined) as e:
        pre.class_imbalance(no_d)
    assert str(e.value) == "CI: facet set is empty. Check that x[facet] has non-zero length."
    with pytest.raises(MetricUndefined) as e:
        pre.class_imbalance(no_a)
    assert str(e.value) == "CI: negated facet set is empty. Check that x[~facet] has non-zero length."
    with pytest.raises(MetricUndefined, match=r"^Facet set is empty\.$"):
        pre.dpl(no_d)
    with pytest.raises(MetricUndefined, match=r"^Negative facet set is empty\.$"):
        pre.dpl(no_a)
    with pytest.raises(MetricUndefined, match="^No instance of common facet"):
        pre.kl(no_d)
    # CDD has no empty-facet check: an empty d gives 0 in every group.
    assert pre.cddl(no_d) == 0.0


def test_cddl():
    # group 0 = rows 0,1,4,5,6: positives 0,4,5,6 (d: row 0) -> A = 1/4;
    #           negatives: row 1 (d) -> D = 1/1; DD = 0.75, n = 5
    # group 1 = rows 2,3,7,8,9: no positives -> A = 0; negatives 5, d: rows 2,3 -> D = 2/5;
    #           DD = 0.4, n = 5
    # CDD = (5 * 0.75 + 5 * 0.4) / 10
    assert pre.cddl(G) == pytest.approx(0.575)


def test_cddl_missing_group_values_drop_out():
    # Same as above with group 1 marked missing (-1): only group 0 counts -> 0.75.
    group = [0 if g == 0 else -1 for g in GROUP]
    assert pre.cddl(groups(FACET, LABEL, group=group)) == pytest.approx(0.75)


def test_cddl_errors():
    with pytest.raises(MetricUndefined, match="^Group variable is empty or not provided$"):
        pre.cddl(groups(FACET, LABEL))
    with pytest.raises(MetricUndefined, match="^No positive labels in set$"):
        pre.cddl(groups(FACET, [0] * 10, group=GROUP))
    with pytest.raises(MetricUndefined, match="^No negative labels in set$"):
        pre.cddl(groups(FACET, [1] * 10, group=GROUP))


def test_aligned_distributions_multiclass():
    # three label values: a counts (2, 1, 1), d counts (0, 2, 2): shared = values 1 and 2
    p_a, p_d = pre.aligned_distributions(np.array([2, 1, 1]), np.array([0, 2, 2]))
    assert p_a.tolist() == [0.25, 0.25] and p_d.tolist() == [0.5, 0.5]
