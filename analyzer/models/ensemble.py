"""Tree ensembles as plain numpy arrays: one representation for XGBoost, LightGBM and scikit-learn.

A model's raw output ("margin") for output ``k`` is ``base[k] + sum over trees of value[leaf, k]``
(learning rates and forest averaging are folded into the leaf values). Every internal node sends a
row left or right by one feature; how it compares and where missing values go follows the library
that trained it, so the decisions here are the library's decisions:

- ``"lt"`` (XGBoost): ``x < threshold`` in float32, NaN goes to the default side;
- ``"le"`` (scikit-learn, features cast to float32 first; LightGBM in float64): ``x <= threshold``,
  NaN goes to the default side (scikit-learn's ``missing_go_to_left``);
- LightGBM's missing types: ``none`` (NaN is read as 0), ``zero`` (0 and NaN go to the default
  side), ``nan`` (NaN goes to the default side).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: LightGBM's kZeroThreshold: |x| <= this counts as zero.
ZERO_THRESHOLD = 1e-35
MISSING_NAN, MISSING_NONE, MISSING_ZERO = 0, 1, 2


class UnsupportedModel(Exception):
    """The model cannot be represented exactly here (the message says why); callers fall back."""


@dataclass
class Tree:
    """One tree. Arrays are indexed by node; leaves have ``feature == -1``."""

    feature: np.ndarray        # (nodes,) int
    threshold: np.ndarray      # (nodes,) float64
    left: np.ndarray           # (nodes,) int
    right: np.ndarray          # (nodes,) int
    default_left: np.ndarray   # (nodes,) bool: where missing values go
    value: np.ndarray          # (nodes, outputs) float64, used at leaves
    missing: np.ndarray | None = None  # (nodes,) LightGBM missing type; None = MISSING_NAN everywhere
    strict: bool = True                # "lt" (XGBoost) when True, "le" otherwise

    def goes_left(self, node: int, column: np.ndarray) -> np.ndarray:
        """Decision of internal ``node`` for a feature column (already cast as the library does)."""
        t = self.threshold[node]
        kind = MISSING_NAN if self.missing is None else int(self.missing[node])
        nan = np.isnan(column)
        if kind == MISSING_NONE:
            column = np.where(nan, 0.0, column)
            nan = np.zeros_like(nan)
        elif kind == MISSING_ZERO:
            nan = nan | (np.abs(np.where(nan, 0.0, column)) <= ZERO_THRESHOLD)
        with np.errstate(invalid="ignore"):
            below = column < t if self.strict else column <= t
        return np.where(nan, bool(self.default_left[node]), below)

    def leaf_paths(self) -> list[tuple[int, list[tuple[int, bool]]]]:
        """``(leaf, [(node, went_left), ...])`` for every leaf, root first."""
        out: list[tuple[int, list[tuple[int, bool]]]] = []
        stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]
        while stack:
            node, path = stack.pop()
            if self.feature[node] < 0:
                out.append((node, path))
                continue
            stack.append((int(self.right[node]), path + [(node, False)]))
            stack.append((int(self.left[node]), path + [(node, True)]))
        return out


@dataclass
class TreeEnsemble:
    """Trees, base margin per output, and how features are cast before comparing."""

    trees: list[Tree]
    base: np.ndarray                 # (outputs,)
    num_features: int
    float32_features: bool           # XGBoost and scikit-learn compare float32 feature values
    library: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def num_outputs(self) -> int:
        return len(self.base)

    def prepare(self, x: np.ndarray) -> np.ndarray:
        """Feature matrix as the library sees it (float32-rounded where it compares in float32)."""
        x = np.asarray(x, dtype=np.float64)
        return x.astype(np.float32).astype(np.float64) if self.float32_features else x

    def margin(self, x: np.ndarray) -> np.ndarray:
        """Raw outputs (rows, outputs) in float64, by walking every tree (a reference, not fast)."""
        x = self.prepare(x)
        out = np.tile(self.base, (len(x), 1))
        rows = np.arange(len(x))
        for tree in self.trees:
            node = np.zeros(len(x), dtype=np.intp)
            while True:
                inner = tree.feature[node] >= 0
                if not inner.any():
                    break
                for k in np.unique(node[inner]):
                    at = rows[node == k]
                    left = tree.goes_left(int(k), x[at, tree.feature[k]])
                    node[at] = np.where(left, tree.left[k], tree.right[k])
            out += tree.value[node]
        return out
