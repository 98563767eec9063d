"""Exact interventional TreeSHAP: the Shapley values of Clarify's baseline game, read off the trees.

Hand-written because no runtime library provides it: XGBoost's and LightGBM's ``pred_contribs``
compute *path-dependent* TreeSHAP (absent features follow the training cover, not the baseline), a
different game; shap's interventional ``TreeExplainer`` is the same game but shap is only a test
oracle here (see ARCHITECTURE.md). Results are checked against both our Kernel SHAP (all
coalitions) and shap's interventional TreeExplainer in the tests.

The game, per record ``x`` and baseline row ``b``, is ``g_b(S) = m(x_S, b_notS)`` for a tree
margin ``m``; Clarify's game is ``v(S) = sum_b w_b g_b(S)`` (see ``kernel_shap``), and Shapley
values are linear in the game, so ``phi = sum_b w_b phi(g_b)``. Trees add up the same way. For one
tree, one leaf with value ``v`` and one pair (x, b): along the leaf's path every feature ``i`` is
either satisfied by both rows (irrelevant), by neither (the leaf is unreachable), only by ``x``
(set ``A``: the hybrid must take ``x_i``) or only by ``b`` (set ``B``). The hybrid reaches the leaf
iff ``A ⊆ S`` and ``S ∩ B = ∅``, a game whose Shapley values are
``v (|A|-1)! |B|! / (|A|+|B|)!`` for ``i ∈ A`` and ``-v |A|! (|B|-1)! / (|A|+|B|)!`` for ``i ∈ B``.

Vectorisation (numpy): per tree, rows are deduplicated by their decisions at every split (rows
with the same decisions get the same values from that tree); for each leaf a row is summarised by
a bit code (which path features it satisfies), and the baseline-weighted Shapley weights are
tabulated per leaf and code (``2^d`` codes for ``d`` distinct features on a path; paths with more
than ``TABLE_MAX_DEPTH`` features use a direct per-baseline-row computation instead).

``features_to_explain``: features outside the game keep the record's value in every hybrid, so a
leaf whose path such a feature fails for ``x`` is unreachable, and one it satisfies is neutral.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import pandas as pd

from analyzer.models import MISSING_ZERO, Tree, TreeEnsemble

TABLE_MAX_DEPTH = 8
CHUNK_ELEMENTS = 4_000_000  # ~32 MB per float64 work array


@dataclass
class _Paths:
    """A tree's leaves and, per leaf, its distinct path features ("slots") and path conditions."""

    leaves: np.ndarray        # (L,) node ids
    slot_feature: np.ndarray  # (L, d) feature per slot, -1 = padding
    inner: np.ndarray         # (K,) internal node ids the paths test
    entry_node: np.ndarray    # (E,) position in ``inner`` of each path condition, sorted by (leaf, slot)
    entry_left: np.ndarray    # (E,) the side the path takes
    group_start: np.ndarray   # (G,) first entry of each (leaf, slot) group
    group_cell: np.ndarray    # (G,) leaf * d + slot of each group


def _paths(tree: Tree) -> _Paths:
    paths = tree.leaf_paths()
    depth = max((len({int(tree.feature[n]) for n, _ in p}) for _, p in paths), default=0)
    d = max(depth, 1)
    slot_feature = np.full((len(paths), d), -1, dtype=np.intp)
    entries: list[tuple[int, int, int, bool]] = []
    for i, (_, path) in enumerate(paths):
        slots: dict[int, int] = {}
        for node, left in path:
            j = slots.setdefault(int(tree.feature[node]), len(slots))
            slot_feature[i, j] = int(tree.feature[node])
            entries.append((i * d + j, i, node, left))
    entries.sort(key=lambda e: e[0])
    inner = np.unique([e[2] for e in entries]).astype(np.intp) if entries else np.zeros(0, dtype=np.intp)
    position = {int(n): k for k, n in enumerate(inner)}
    cells = np.array([e[0] for e in entries], dtype=np.intp)
    start = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]]) if len(cells) else np.zeros(0, np.intp)
    return _Paths(leaves=np.array([leaf for leaf, _ in paths], dtype=np.intp), slot_feature=slot_feature,
                  inner=inner, entry_node=np.array([position[e[2]] for e in entries], dtype=np.intp),
                  entry_left=np.array([e[3] for e in entries], dtype=bool),
                  group_start=start, group_cell=cells[start] if len(cells) else cells)


def _decisions(tree: Tree, paths: _Paths, x: np.ndarray, has_nan: np.ndarray) -> np.ndarray:
    """(rows, K) bool: goes left at each tested internal node."""
    out = np.empty((len(x), len(paths.inner)), dtype=bool)
    for k, node in enumerate(paths.inner):
        f = int(tree.feature[node])
        simple = not has_nan[f] and (tree.missing is None or tree.missing[node] != MISSING_ZERO)
        if simple:
            column = x[:, f]
            out[:, k] = column < tree.threshold[node] if tree.strict else column <= tree.threshold[node]
        else:
            out[:, k] = tree.goes_left(int(node), x[:, f])
    return out


def _satisfied(paths: _Paths, decisions: np.ndarray) -> np.ndarray:
    """(rows, L, d) bool: the row satisfies every condition of that leaf's slot (padding: True)."""
    rows = len(decisions)
    fails = np.zeros((rows, paths.slot_feature.size), dtype=bool)
    if len(paths.entry_node):
        bad = decisions[:, paths.entry_node] != paths.entry_left
        fails[:, paths.group_cell] = np.logical_or.reduceat(bad, paths.group_start, axis=1)
    return ~fails.reshape(rows, *paths.slot_feature.shape)


def _unique_rows(decisions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct decision vector, inverse map)."""
    if decisions.shape[1] == 0:
        return np.zeros(1, dtype=np.intp), np.zeros(len(decisions), dtype=np.intp)
    packed = np.packbits(decisions, axis=1)
    if packed.shape[1] <= 8:
        wide = np.zeros((len(packed), 8), dtype=np.uint8)
        wide[:, :packed.shape[1]] = packed
        codes = pd.factorize(wide.view(np.uint64).reshape(-1))[0]
    else:
        packed = np.ascontiguousarray(packed)
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
        codes = np.unique(keys, return_inverse=True)[1].reshape(-1)
    first = np.full(int(codes.max()) + 1, len(codes), dtype=np.intp)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return first, codes.astype(np.intp)


_FACT = np.array([float(factorial(k)) for k in range(171)])


def _weights(in_a: np.ndarray, in_b: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Per-slot Shapley weights of one leaf game (broadcast over leading axes)."""
    a = in_a.sum(axis=-1, keepdims=True)
    c = in_b.sum(axis=-1, keepdims=True)
    total = _FACT[a + c]
    w_a = _FACT[np.maximum(a - 1, 0)] * _FACT[c] / total
    w_b = -_FACT[a] * _FACT[np.maximum(c - 1, 0)] / total
    return reach[..., None] * (in_a * w_a + in_b * w_b)


_TABLES: dict[int, np.ndarray] = {}


def _table(d: int) -> np.ndarray:
    """(2^d baseline codes, 2^d record codes, d) weights of the leaf game for a pair of codes."""
    if d not in _TABLES:
        codes = np.arange(2**d)
        bits = ((codes[:, None] >> np.arange(d)) & 1).astype(bool)
        sb, sx = bits[:, None, :], bits[None, :, :]
        reach = (sx | sb).all(axis=-1)
        _TABLES[d] = _weights(sx & ~sb, ~sx & sb, reach)
    return _TABLES[d]


def _tree_weights(sat_x: np.ndarray, sat_b: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(U, L, d): baseline-weighted Shapley weight of each leaf slot for each (deduplicated) record."""
    u, leaves, d = sat_x.shape
    if d <= TABLE_MAX_DEPTH:
        bit = 1 << np.arange(d)
        px = (sat_x * bit).sum(axis=-1)                      # (U, L)
        pb = (sat_b * bit).sum(axis=-1)                      # (B, L)
        table = np.tensordot(weights, _table(d)[pb], axes=1)  # (L, 2^d, d)
        return table[np.arange(leaves)[None, :], px]
    out = np.zeros((u, leaves, d))
    step = max(1, CHUNK_ELEMENTS // max(1, leaves * d))
    for start in range(0, u, step):
        sx = sat_x[start:start + step]
        for sb, w in zip(sat_b, weights, strict=True):
            reach = (sx | sb).all(axis=-1)
            out[start:start + step] += w * _weights(sx & ~sb, ~sx & sb, reach)
    return out


@dataclass
class _Game:
    """What every tree needs: players, baseline rows and weights, outputs."""

    baseline: np.ndarray
    weights: np.ndarray
    is_player: np.ndarray  # (features + 1,): the last entry stands for slot padding
    column_of: np.ndarray  # (features + 1,): feature -> column of phi, -1 for non-players
    outputs: list[int]
    has_nan: np.ndarray


def _tree_values(tree: Tree, paths: _Paths, x: np.ndarray, game: _Game) -> tuple[np.ndarray, np.ndarray] | None:
    """(phi columns this tree touches, their values (rows, columns, D)) or None when it adds nothing."""
    values = tree.value[:, game.outputs][paths.leaves]                 # (L, D)
    columns = game.column_of[paths.slot_feature].reshape(-1)
    used = columns >= 0
    if not values.any() or not used.any():
        return None
    dec_x = _decisions(tree, paths, x, game.has_nan)
    first, inverse = _unique_rows(dec_x)
    sat_x = _satisfied(paths, dec_x[first])
    sat_b = _satisfied(paths, _decisions(tree, paths, game.baseline, game.has_nan))
    slot_player = game.is_player[paths.slot_feature]       # padding (-1) maps to the last entry: False
    fixed = ~slot_player & (paths.slot_feature >= 0)       # non-players: the record's value in every hybrid
    reachable = ~(fixed & ~sat_x).any(axis=-1)             # (U, L)
    w = _tree_weights(sat_x | ~slot_player, sat_b | ~slot_player, game.weights) * reachable[..., None]
    per_slot = w[..., None] * values[None, :, None, :]     # (U, L, d, D)
    per_slot = per_slot.reshape(len(first), -1, len(game.outputs))[:, used]
    tree_columns, where = np.unique(columns[used], return_inverse=True)
    contrib = np.zeros((len(first), len(tree_columns), len(game.outputs)))
    for k in range(len(tree_columns)):  # few columns per tree: a small loop beats np.add.at
        contrib[:, k] = per_slot[:, where == k].sum(axis=1)
    return tree_columns, contrib[inverse]


def tree_shap_values(ensemble: TreeEnsemble, x: np.ndarray, baseline: np.ndarray, weights: np.ndarray,
                     players: np.ndarray, outputs: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Exact interventional SHAP values of the ensemble's margins.

    Returns ``(phi (n, len(players), len(outputs)), expected (len(outputs),))`` with
    ``expected = sum_b w_b margin(b)``; with every feature a player,
    ``phi.sum(axis=1) + expected == margin(x)``. Rows are processed in chunks so that the
    per-tree work arrays (rows x leaves x path features x outputs) stay near ``CHUNK_ELEMENTS``.
    """
    x, baseline = ensemble.prepare(x), ensemble.prepare(baseline)
    is_player = np.zeros(ensemble.num_features + 1, dtype=bool)
    is_player[players] = True
    column_of = np.full(ensemble.num_features + 1, -1, dtype=np.intp)
    column_of[players] = np.arange(len(players))
    game = _Game(baseline=baseline, weights=np.asarray(weights, dtype=float) / np.sum(weights),
                 is_player=is_player, column_of=column_of, outputs=list(outputs),
                 has_nan=np.isnan(x).any(axis=0) | np.isnan(baseline).any(axis=0))
    paths = [_paths(tree) for tree in ensemble.trees]
    widest = max((p.slot_feature.size for p in paths), default=1) * max(1, len(outputs))
    step = max(1, CHUNK_ELEMENTS // widest)
    phi = np.zeros((len(x), len(players), len(outputs)))
    for start in range(0, len(x), step):
        rows = x[start:start + step]
        for tree, tree_paths in zip(ensemble.trees, paths, strict=True):
            found = _tree_values(tree, tree_paths, rows, game)
            if found is not None:
                phi[start:start + step, found[0]] += found[1]
    expected = game.weights @ ensemble.margin(baseline)[:, outputs]
    return phi, expected
