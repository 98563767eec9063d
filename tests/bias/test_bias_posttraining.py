"""Post-training metrics on hand-checked fixtures (arithmetic in the comments)."""
from __future__ import annotations

import numpy as np
import pytest
from bias_fixtures import FACET, GROUP, LABEL, from_confusion, groups

from analyzer.bias import posttraining as post
from analyzer.bias.groups import Features, divide
from analyzer.bias.registry import MetricUndefined

# AWS docs example. a: TN=20, FN=5, FP=10, TP=65 (n=100); d: TN=18, FN=7, FP=5, TP=20 (n=50)
DOCS = from_confusion(a=(65, 10, 5, 20), d=(20, 5, 7, 18))


def test_aws_docs_example():
    assert post.specificity_difference(DOCS) == pytest.approx(18 / 23 - 20 / 30)
    assert round(post.specificity_difference(DOCS), 5) == 0.11594
    assert post.dppl(DOCS) == pytest.approx(75 / 100 - 25 / 50)            # 0.25
    assert post.disparate_impact(DOCS) == pytest.approx((25 / 50) / (75 / 100))
    assert post.dca(DOCS) == pytest.approx(70 / 75 - 27 / 25)              # c = (TP+FN)/(TP+FP)
    assert post.dcr(DOCS) == pytest.approx(23 / 25 - 30 / 25)              # r_d - r_a, r = (TN+FP)/(TN+FN)
    assert post.recall_difference(DOCS) == pytest.approx(65 / 70 - 20 / 27)
    assert post.dar(DOCS) == pytest.approx(65 / 75 - 20 / 25)              # precision a - d
    assert post.drr(DOCS) == pytest.approx(18 / 25 - 20 / 25)              # NPV d - a
    assert post.accuracy_difference(DOCS) == pytest.approx(85 / 100 - 38 / 50)
    assert post.treatment_equality(DOCS) == pytest.approx(7 / 5 - 5 / 10)  # FN/FP, d - a


def test_generalized_entropy():
    # N = 150, FN = 12 (b = 0), FP = 15 (b = 2), others 123 (b = 1); mu = (123 + 30) / 150
    mu = 153 / 150
    expected = (12 * (0 - 1) + 123 * ((1 / mu) ** 2 - 1) + 15 * ((2 / mu) ** 2 - 1)) / (2 * 150)
    assert post.generalized_entropy(DOCS) == pytest.approx(expected)


def test_generalized_entropy_all_false_negatives():
    g = groups([0, 1], [1, 1], [0, 0])
    with pytest.raises(MetricUndefined, match="^All predicted labels are false negatives"):
        post.generalized_entropy(g)


def test_divide_conventions():
    assert divide(0, 0) == 0.0
    assert divide(3, 0) == float("inf")
    assert divide(-3, 0) == float("-inf")
    assert divide(1, 4) == 0.25


def test_infinities_and_both_inf_override():
    # TE: a has FN=2, FP=0 -> inf; d has FN=1, FP=1 -> 1: TE = 1 - inf = -inf
    g = from_confusion(a=(1, 0, 2, 1), d=(1, 1, 1, 1))
    assert post.treatment_equality(g) == float("-inf")
    # both sides FN>0, FP=0 -> inf and inf -> 0
    g = from_confusion(a=(1, 0, 2, 1), d=(1, 0, 1, 1))
    assert post.treatment_equality(g) == 0.0
    # DI: no positive predictions in a -> q_a = 0 -> +inf; and 0/0 -> 0
    assert post.disparate_impact(from_confusion(a=(0, 0, 1, 1), d=(1, 0, 0, 1))) == float("inf")
    assert post.disparate_impact(from_confusion(a=(0, 0, 1, 1), d=(0, 0, 1, 1))) == 0.0
    # DCA: no predicted positives anywhere, but observed positives -> inf on both sides -> 0
    g = from_confusion(a=(0, 0, 2, 1), d=(0, 0, 1, 1))
    assert post.dca(g) == 0.0
    # DCA: only d has predicted positives -> c_a = inf, c_d = 1 -> +inf
    assert post.dca(from_confusion(a=(0, 0, 2, 1), d=(1, 0, 0, 1))) == float("inf")
    # 0/0 = 0: a has no positives at all (observed or predicted) -> c_a = 0; d: c_d = 2/1
    assert post.dca(from_confusion(a=(0, 0, 0, 3), d=(1, 0, 1, 1))) == pytest.approx(0 - 2)


@pytest.mark.parametrize(
    "fn, d_msg, a_msg",
    [
        (post.dca, "DCO: Facet set is empty", "DCO: Negated Facet set is empty"),
        (post.dcr, "DCO: Facet set is empty", "DCO: Negated Facet set is empty"),
        (post.recall_difference, "DLA: Facet set is empty", "DLA: Negated Facet set is empty"),
        (post.specificity_difference, "DLA: Facet set is empty", "DLA: Negated Facet set is empty"),
        (post.dar, "DLR: Facet set is empty", "DLR: Negated Facet set is empty"),
        (post.drr, "DLR: Facet set is empty", "DLR: Negated Facet set is empty"),
        (post.accuracy_difference, "Facet set is empty", "Negated Facet set is empty"),
        (post.treatment_equality, "Facet set is empty", "Negated Facet set is empty"),
        (post.disparate_impact, "Facet set is empty", "Negated facet set is empty"),
        (post.dppl, "Facet set is empty.", "Negative facet set is empty."),
        (post.ft, "Facet set is empty", "Negated Facet set is empty"),
    ],
)
def test_empty_group_messages(fn, d_msg, a_msg):
    feats = Features(np.zeros((3, 1)))
    with pytest.raises(MetricUndefined) as e:
        fn(groups([0, 0, 0], [1, 0, 1], [1, 1, 0], features=feats))
    assert str(e.value) == d_msg
    with pytest.raises(MetricUndefined) as e:
        fn(groups([1, 1, 1], [1, 0, 1], [1, 1, 0], features=feats))
    assert str(e.value) == a_msg


def test_cddpl_uses_predictions():
    # predictions equal to the labels of the pre-training fixture -> same CDD 0.575
    assert post.cddpl(groups(FACET, [0] * 10, LABEL, group=GROUP)) == pytest.approx(0.575)
    with pytest.raises(MetricUndefined, match="^Group variable is empty or not provided$"):
        post.cddpl(groups(FACET, LABEL, LABEL))


def test_flip_test_small():
    # a (n_a = 4 <= 9, so k = 1): x = 0, 1 predicted 0; x = 10, 11 predicted 1.
    # d: x = 0.2 (model 1, nearest a predicts 0 -> +1), x = 10.4 (model 0, kNN 1 -> -1),
    #    x = 9.9 (model 1, kNN 1 -> no flip), x = 1.2 (model 1, kNN 0 -> +1). FT = (2 - 1) / 4
    x = np.array([0, 1, 10, 11, 0.2, 10.4, 9.9, 1.2])[:, None]
    facet = [0, 0, 0, 0, 1, 1, 1, 1]
    pred = [0, 0, 1, 1, 1, 0, 1, 1]
    g = groups(facet, [0] * 8, pred, features=Features(x))
    assert post.ft(g) == pytest.approx(0.25)


def test_flip_test_errors():
    g = groups([0, 1], [0, 1], [1, 1], features=Features(None, "FlipTest does not support non-numeric columns"))
    with pytest.raises(MetricUndefined, match="^FlipTest does not support non-numeric columns$"):
        post.ft(g)
    g = groups([0, 1, 0], [0, 1, 1], [1, 1, 0], features=Features(np.array([[np.nan], [1.0], [2.0]])))
    with pytest.raises(MetricUndefined, match="Input X contains NaN"):
        post.ft(g)
