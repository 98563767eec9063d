"""Tiny hand-checkable inputs for the bias-metric unit tests."""
from __future__ import annotations

import numpy as np

from analyzer.bias.groups import Groups


def groups(facet, label, pred=None, group=None, features=None) -> Groups:
    """Groups from 0/1 lists; ``group`` is a list of small non-negative ints (or -1)."""
    return Groups.build(
        np.array(facet, dtype=bool), np.array(label, dtype=bool),
        None if pred is None else np.array(pred, dtype=bool),
        None if group is None else np.array(group), features=features,
    )


def from_confusion(a: tuple[int, int, int, int], d: tuple[int, int, int, int]) -> Groups:
    """Groups with the given (TP, FP, FN, TN) counts for a and for d."""
    facet, label, pred = [], [], []
    for side, counts in ((0, a), (1, d)):
        for (y, yhat), n in zip(((1, 1), (0, 1), (1, 0), (0, 0)), counts):
            facet += [side] * n
            label += [y] * n
            pred += [yhat] * n
    return groups(facet, label, pred)


# Ten rows: d = rows 0-3, a = rows 4-9.
#   d labels 1,0,0,0  -> n_d = 4, q_d = 1/4
#   a labels 1,1,1,0,0,0 -> n_a = 6, q_a = 1/2
#   groups: rows 0,1,4,5,6 -> 0; rows 2,3,7,8,9 -> 1
FACET = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
LABEL = [1, 0, 0, 0, 1, 1, 1, 0, 0, 0]
GROUP = [0, 0, 1, 1, 0, 0, 0, 1, 1, 1]
