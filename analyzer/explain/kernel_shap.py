"""Batched Kernel SHAP over Clarify's interventional game.

The game
--------
Record ``x``, baseline rows ``b_1..b_B`` with weights ``w_b`` (sum 1). For a coalition ``S`` of the
explained features, ``v(S) = sum_b w_b f(x_S, b_notS)``: present features take the record's value,
absent ones the baseline row's. With ``use_logit`` the game is ``logit(v(S))``; probabilities are
clipped to ``[1e-12, 1 - 1e-12]`` first (so the logit stays within +-27.6 instead of +-inf).
``expected_value = link(sum_b w_b f(b))``.

With ``features_to_explain`` the game runs over the listed features only; every other feature
keeps the record's value in every synthetic row. Then
``sum(phi) = link(f(x)) - link(sum_b w_b f(x with the listed features set to b))``, which is not
``f(x) - expected_value`` in general.

The estimator
-------------
For each record, features equal to their value in **every** baseline row cannot matter: they get
``phi = 0`` and leave the regression; ``M`` is the number of the others (varying features).
``M = 0`` gives zeros, ``M = 1`` gives that feature all of ``link(f(x)) - link(v(empty))``.
Otherwise the coalitions follow shap's schedule (see ``_design``) with budget
``min(num_samples, 2^M - 2)`` (auto ``2M + 2048``) and phi is the efficiency-constrained,
minimum-norm weighted least-squares fit.

Batching and seeding
--------------------
Records are grouped by their set of varying features (their "pattern"). Each pattern gets one
coalition design drawn from ``numpy.random.default_rng(SeedSequence([seed, M, *pattern]))``: it
depends on the seed and the pattern only, never on the chunk a record lands in, so results are
reproducible bit for bit and do not depend on ``max_rows_per_call``. Records sharing a pattern
share the design, its pseudo-inverse is computed once, and their values come from one GEMM.
Records are processed in pattern order; a chunk holds as many records as fit in
``max_rows_per_call`` synthetic rows and costs one model call (a record whose own synthetic set
is larger is sent in several calls).

Convergence estimate
--------------------
The random part of a design is an average over i.i.d. draws (a draw = a mask and its complement).
Treating the enumerated part as fixed, the delta method (infinitesimal jackknife) gives
``Var(phi) ~ (W/T)^2 C/(C-1) sum_i c_i (psi_i - mean psi)^2`` with ``psi_i = Cov z_i (e_i - e_i')``
the influence of draw ``i`` (``e`` the regression residuals at the mask and its complement,
``c_i`` the draw counts, ``C = sum c_i``). This is the variance estimate Covert & Lee (AISTATS
2021) propose for convergence detection, applied to shap's paired design. Fully enumerated
designs get 0. Standard errors of the global values follow by the same linearisation: for
``mean_abs`` and ``mean_sq`` the draws' influences are summed over the records that share a
design (their errors are correlated), then added over patterns (independent designs). For
``median`` the per-record standard errors of the records near the median (Gaussian kernel,
Silverman bandwidth) are combined as fully correlated within a pattern and independent across
patterns: a conservative approximation.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.errors import ConfigError, DataError
from analyzer.explain._design import (
    CoalitionDesign,
    Solver,
    coalition_design,
    effective_num_samples,
    make_solver,
    rowwise_matmul,
)
from analyzer.explain._frames import Codec, encode, equal_values
from analyzer.progress import Progress

log = logging.getLogger(__name__)

Predict = Callable[[pd.DataFrame], np.ndarray]

#: Probabilities are clipped to [LOGIT_EPS, 1 - LOGIT_EPS] before the logit.
LOGIT_EPS = 1e-12
#: Default cap on rows per model call.
DEFAULT_MAX_ROWS_PER_CALL = 65_536

AGG_METHODS = ("mean_abs", "median", "mean_sq")


@dataclass
class KernelShapResult:
    """Everything Kernel SHAP produced for a set of records.

    Attributes
    ----------
    feature_names : list of str
        The explained features (the players), in dataset order.
    local_values : (n, M, D) float
        SHAP values per record, feature and model output, records in input order.
    expected_value : (D,) float
        ``link(sum_b w_b f(b))``.
    local_std_errors : (n, M, D) float
        Monte-Carlo standard error of each local value (0 where it was computed exactly).
    num_varying : (n,) int
        Number of explained features that differ from at least one baseline row.
    num_samples_used : (n,) int
        Coalitions actually evaluated for the record (0 when ``num_varying <= 1``).
    global_std_errors : dict
        ``agg_method -> (M, D)`` Monte-Carlo standard error of that global value.
    warnings : list of str
        Conditions the user should know about (e.g. fewer samples than varying features).
    model_calls, model_rows : int
        How many predict calls and rows were spent.
    """

    feature_names: list[str]
    local_values: np.ndarray
    expected_value: np.ndarray
    local_std_errors: np.ndarray
    num_varying: np.ndarray
    num_samples_used: np.ndarray
    global_std_errors: dict[str, np.ndarray]
    warnings: list[str] = field(default_factory=list)
    model_calls: int = 0
    model_rows: int = 0


class _CountingPredict:
    def __init__(self, predict: Predict, max_rows: int) -> None:
        self.predict = predict
        self.max_rows = max_rows
        self.calls = 0
        self.rows = 0
        self.num_outputs: int | None = None

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for start in range(0, len(frame), self.max_rows):
            part = frame.iloc[start:start + self.max_rows] if len(frame) > self.max_rows else frame
            out = np.asarray(self.predict(part), dtype=float)
            if out.ndim == 1:
                out = out[:, None]
            if out.ndim != 2 or out.shape[0] != len(part):
                raise DataError(
                    f"The model returned predictions of shape {out.shape} for {len(part)} rows; "
                    "expected one row of scores per input row."
                )
            if self.num_outputs is None:
                self.num_outputs = out.shape[1]
            elif out.shape[1] != self.num_outputs:
                raise DataError(
                    f"The model returned {out.shape[1]} scores per row in one call and "
                    f"{self.num_outputs} in another; the number of scores must be constant."
                )
            self.calls += 1
            self.rows += len(part)
            parts.append(out)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _link(values: np.ndarray, use_logit: bool) -> np.ndarray:
    if not use_logit:
        return values
    p = np.clip(values, LOGIT_EPS, 1.0 - LOGIT_EPS)
    return np.log(p) - np.log1p(-p)


#: The SDK's schema allows an empty list; nothing can be explained with it (analyzer.support refuses it up front).
EMPTY_SELECTION = "methods.shap.features_to_explain is empty; list at least one feature."


def resolve_features(names: Sequence[str], selection: Sequence[str | int] | None) -> list[int]:
    """Indices of ``features_to_explain`` (names or 0-based indices), in dataset order."""
    if selection is None:
        return list(range(len(names)))
    index = {name: i for i, name in enumerate(names)}
    chosen = set()
    for item in selection:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= item < len(names):
                raise ConfigError(
                    f"methods.shap.features_to_explain: index {item} is out of range; "
                    f"the dataset has {len(names)} features (0..{len(names) - 1})."
                )
            chosen.add(int(item))
        elif isinstance(item, str) and item in index:
            chosen.add(index[item])
        else:
            raise ConfigError(
                f"methods.shap.features_to_explain: {item!r} is not a feature; "
                f"features are {list(names)}."
            )
    if not chosen:
        raise ConfigError(EMPTY_SELECTION)
    return sorted(chosen)


@dataclass
class _Group:
    """Records of one pattern inside one chunk."""

    pattern: int
    rows: np.ndarray  # record indices (input order numbers)


class _PatternStats:
    """Per-pattern accumulators of draw influences on the global values."""

    def __init__(self, solver: Solver, m: int, d: int) -> None:
        units = len(solver.design.unit_counts)
        self.abs = np.zeros((units, m, d))
        self.sq = np.zeros((units, m, d))


def kernel_shap(
    predict: Predict,
    records: pd.DataFrame,
    baseline: pd.DataFrame,
    *,
    baseline_weights: Sequence[float] | np.ndarray | None = None,
    features_to_explain: Sequence[str | int] | None = None,
    num_samples: int | None = None,
    seed: int | None = None,
    use_logit: bool = False,
    max_rows_per_call: int = DEFAULT_MAX_ROWS_PER_CALL,
    agg_method: str | None = None,
) -> KernelShapResult:
    """Kernel SHAP values of ``predict`` for every row of ``records`` (see the module docstring).

    Parameters
    ----------
    predict : callable
        ``predict(frame) -> (rows, D)`` (or ``(rows,)``) scores.
    records : DataFrame
        Rows to explain, feature columns only.
    baseline : DataFrame
        Baseline rows with the same columns.
    baseline_weights : array, optional
        Non-negative weights per baseline row (normalised); uniform when omitted.
    features_to_explain : list of names or indices, optional
        Players of the game; the other features stay at the record's value.
    num_samples : int, optional
        Coalitions per record (``None``: ``2M + 2048``), capped at ``2^M - 2``.
    seed : int, optional
        Seeds the coalition designs (``None`` means 0: results are always reproducible).
    use_logit : bool
        Explain ``logit`` of the (baseline-averaged) scores.
    max_rows_per_call : int
        Most rows sent to ``predict`` in one call.
    agg_method : str, optional
        The global aggregation that will be reported; only its standard error is computed
        (``None``: all of them).
    """
    if list(baseline.columns) != list(records.columns):
        raise DataError(
            f"The baseline has columns {list(baseline.columns)}; expected the dataset's feature "
            f"columns {list(records.columns)}."
        )
    if len(baseline) == 0:
        raise DataError("The SHAP baseline has no rows; give at least one baseline row.")
    if num_samples is not None and num_samples < 1:
        raise ConfigError(f"methods.shap.num_samples must be a positive integer; got {num_samples}.")
    if max_rows_per_call < 1:
        raise ConfigError(f"max_rows_per_call must be positive; got {max_rows_per_call}.")
    n_base = len(baseline)
    if baseline_weights is None:
        weights = np.full(n_base, 1.0 / n_base)
    else:
        weights = np.asarray(baseline_weights, dtype=float)
        if weights.shape != (n_base,) or np.any(weights < 0) or weights.sum() <= 0:
            raise DataError(
                f"Baseline weights must be {n_base} non-negative numbers with a positive sum; "
                f"got {weights.tolist()}."
            )
        weights = weights / weights.sum()
    names = [str(c) for c in records.columns]
    players = np.asarray(resolve_features(names, features_to_explain), dtype=np.intp)
    subset_game = len(players) < len(names)
    seed = 0 if seed is None else int(seed)

    codec, (x_vals, b_vals) = encode(records, baseline)
    model = _CountingPredict(predict, max_rows_per_call)
    n, p = len(records), len(players)

    fnull_rows = model(codec.decode(b_vals))
    d = fnull_rows.shape[1]
    fnull = _weighted_sum(fnull_rows[None, :, :], weights)[0]
    expected = _link(fnull, use_logit)

    # varying players per record
    varying = np.zeros((n, p), dtype=bool)
    step = max(1, 2_000_000 // max(1, n_base * p))
    for start in range(0, n, step):
        xs = x_vals[start:start + step][:, None, players]
        same = equal_values(xs, b_vals[None, :, players]).all(axis=1)
        varying[start:start + step] = ~same
    packed = np.ascontiguousarray(np.packbits(varying, axis=1))
    # Unique rows through a bytes view: the same lexicographic order as np.unique(axis=0), 5x faster.
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    unique_keys, pattern_of = np.unique(keys, return_inverse=True)
    patterns = unique_keys.view(np.uint8).reshape(-1, packed.shape[1])
    pattern_of = pattern_of.reshape(-1)
    pattern_players = [players[np.unpackbits(row, count=p).astype(bool)] for row in patterns]
    num_varying = np.array([len(pattern_players[k]) for k in pattern_of], dtype=np.intp)
    samples_per_pattern = np.array(
        [effective_num_samples(len(v), num_samples) if len(v) >= 2 else 0 for v in pattern_players],
        dtype=np.int64,
    )
    num_samples_used = samples_per_pattern[pattern_of]

    local = np.zeros((n, p, d))
    local_var = np.zeros((n, p, d))
    col_of = {int(f): i for i, f in enumerate(players)}
    global_var = {"mean_abs": np.zeros((p, d)), "mean_sq": np.zeros((p, d))}

    order = np.lexsort((np.arange(n), pattern_of))
    extra = n_base if subset_game else 0
    rows_needed = np.where(num_varying >= 2, samples_per_pattern[pattern_of] * n_base, 0)
    rows_needed = rows_needed + np.where(num_varying >= 1, 1 + extra, 0)

    remaining = np.bincount(pattern_of, minlength=len(patterns))
    cache: dict[int, tuple[Solver, _PatternStats]] = {}

    for chunk in _with_progress(_chunks(order, rows_needed[order], max_rows_per_call), n):
        groups = _split_groups(chunk, pattern_of)
        frames, plan = [], []
        for group in groups:
            v = pattern_players[group.pattern]
            m = len(v)
            if m == 0:
                continue
            solver = None
            if m >= 2:
                if group.pattern not in cache:
                    rng = np.random.default_rng(np.random.SeedSequence([seed, m, *v.tolist()]))
                    solver = make_solver(coalition_design(m, num_samples, rng))
                    cache[group.pattern] = (solver, _PatternStats(solver, m, d))
                solver = cache[group.pattern][0]
            frames.append(_synthetic(x_vals[group.rows], b_vals, v, players, solver, subset_game))
            plan.append((group, v, solver))
        if not frames:
            for group in groups:
                remaining[group.pattern] -= len(group.rows)
            continue
        preds = model(codec.decode(np.concatenate(frames)))
        offset = 0
        for group, v, solver in plan:
            r = len(group.rows)
            s = solver.design.num_samples if solver is not None else 0
            block = preds[offset:offset + r * (s * n_base + extra + 1)]
            offset += len(block)
            fx = block[:r]
            rest = block[r:]
            ey = _weighted_sum(rest[: r * s * n_base].reshape(r, s, n_base, d), weights) if s else None
            if subset_game:
                v0 = _weighted_sum(rest[r * s * n_base:].reshape(r, 1, n_base, d), weights)[:, 0]
            else:
                v0 = np.broadcast_to(fnull, (r, d))
            g0 = _link(v0, use_logit)
            delta = _link(fx, use_logit) - g0
            cols = np.array([col_of[int(f)] for f in v], dtype=np.intp)
            if solver is None:  # one varying feature takes everything
                local[group.rows[:, None], cols[None, :]] = delta[:, None, :]
                continue
            y = _link(ey, use_logit) - g0[:, None, :]
            phi, var, infl_abs, infl_sq = _solve(solver, y, delta, n)
            local[group.rows[:, None], cols[None, :]] = phi
            local_var[group.rows[:, None], cols[None, :]] = var
            stats = cache[group.pattern][1]
            stats.abs += infl_abs
            stats.sq += infl_sq
        for group in groups:
            remaining[group.pattern] -= len(group.rows)
            if remaining[group.pattern] == 0 and group.pattern in cache:
                solver, stats = cache.pop(group.pattern)
                cols = np.array([col_of[int(f)] for f in pattern_players[group.pattern]])
                global_var["mean_abs"][cols] += _draw_variance(solver.design, stats.abs)
                global_var["mean_sq"][cols] += _draw_variance(solver.design, stats.sq)

    global_se = {k: np.sqrt(v) for k, v in global_var.items()}
    if agg_method in (None, "median"):  # the median's SE is the costly one: only when asked for
        global_se["median"] = _median_se(local, local_var, pattern_of)
    warnings = _warnings(num_varying, num_samples_used, n)
    for message in warnings:
        log.warning(message)
    log.info(
        "Kernel SHAP: %d records, %d baseline rows, %d model calls, %d model rows",
        n, n_base, model.calls, model.rows,
    )
    return KernelShapResult(
        feature_names=[names[i] for i in players],
        local_values=local,
        expected_value=expected,
        local_std_errors=np.sqrt(local_var),
        num_varying=num_varying,
        num_samples_used=num_samples_used,
        global_std_errors=global_se,
        warnings=warnings,
        model_calls=model.calls,
        model_rows=model.rows,
    )


def _weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum over axis -2 (baseline rows) weighted by ``weights``, in a fixed order."""
    out = values[..., 0, :] * weights[0]
    for b in range(1, len(weights)):
        out = out + values[..., b, :] * weights[b]
    return out


def _with_progress(chunks, total: int):
    """The chunks, with rows done, rows/s and ETA logged as records are explained."""
    with Progress(total, "Kernel SHAP: explaining records") as progress:
        for chunk in chunks:
            yield chunk
            progress.advance(len(chunk))


def _chunks(order: np.ndarray, rows: np.ndarray, max_rows: int):
    start, total = 0, 0
    for i, need in enumerate(rows.tolist()):
        if total and total + need > max_rows:
            yield order[start:i]
            start, total = i, 0
        total += need
    if start < len(order):
        yield order[start:]


def _split_groups(chunk: np.ndarray, pattern_of: np.ndarray) -> list[_Group]:
    pats = pattern_of[chunk]
    cuts = np.flatnonzero(np.diff(pats)) + 1
    return [_Group(int(pats[s[0]]), chunk[s]) for s in np.split(np.arange(len(chunk)), cuts)]


def _synthetic(
    x: np.ndarray,
    base: np.ndarray,
    varying: np.ndarray,
    players: np.ndarray,
    solver: Solver | None,
    subset_game: bool,
) -> np.ndarray:
    """Rows for a group of records: f(x) rows, coalition rows (r, s, b), then empty-set rows."""
    r, n_feat = x.shape
    n_base = len(base)
    background = np.broadcast_to(base[None], (r, n_base, n_feat))
    if subset_game:  # features outside the game keep the record's values
        background = np.repeat(x[:, None, :], n_base, axis=1)
        background[:, :, players] = base[None][:, :, players]
    parts = [x]
    if solver is not None:
        masks = solver.design.masks
        s = len(masks)
        full = np.zeros((s, n_feat), dtype=bool)
        full[:, varying] = masks
        rows = np.where(full[None, :, None, :], x[:, None, None, :], background[:, None, :, :])
        parts.append(rows.reshape(r * s * n_base, n_feat))
    if subset_game:
        parts.append(background.reshape(r * n_base, n_feat))
    return np.concatenate(parts)


def _solve(solver: Solver, y: np.ndarray, delta: np.ndarray, n_total: int):
    """phi (r, m, d), its variance, and the draws' influences on mean_abs / mean_sq (u, m, d)."""
    design = solver.design
    r, s, d = y.shape
    m = solver.q.shape[0]
    z = design.masks.astype(float)
    phi = np.empty((r, m, d))
    for k in range(d):
        phi[:, :, k] = rowwise_matmul(y[:, :, k], solver.q.T) + delta[:, k, None] * solver.u[None, :]
    units = len(design.unit_counts)
    var = np.zeros((r, m, d))
    infl_abs = np.zeros((units, m, d))
    infl_sq = np.zeros((units, m, d))
    if units == 0:
        return phi, var, infl_abs, infl_sq
    first, second = design.unit_first, design.unit_second
    paired = second >= 0
    g = z[first] @ solver.cov  # (u, m): Cov @ z_i
    counts = design.unit_counts
    total = counts.sum()
    scale = design.random_scale**2 * total / (total - 1) if total > 1 else np.nan
    for k in range(d):
        resid = y[:, :, k] - rowwise_matmul(phi[:, :, k], z.T)  # (r, s)
        diff = resid[:, first] - np.where(paired[None, :], resid[:, np.where(paired, second, 0)], 0.0)
        m1 = rowwise_matmul(diff * counts[None, :], g)
        m2 = rowwise_matmul(diff**2 * counts[None, :], g**2)
        var[:, :, k] = np.maximum(m2 - m1**2 / total, 0.0) * scale
        infl_abs[:, :, k] = (diff.T @ np.sign(phi[:, :, k])) * g / n_total
        infl_sq[:, :, k] = (diff.T @ (2.0 * phi[:, :, k])) * g / n_total
    if not np.isfinite(scale):
        var[:] = np.nan
    return phi, var, infl_abs, infl_sq


def _draw_variance(design: CoalitionDesign, infl: np.ndarray) -> np.ndarray:
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


def _median_se(local: np.ndarray, local_var: np.ndarray, pattern_of: np.ndarray) -> np.ndarray:
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


def _warnings(num_varying: np.ndarray, used: np.ndarray, n: int) -> list[str]:
    out = []
    low = (num_varying >= 2) & (used < num_varying)
    if low.any():
        count = int(low.sum())
        worst = int(num_varying[low].max())
        out.append(
            f"num_samples={int(used[low].max())} is smaller than the number of varying features "
            f"(up to {worst}) for {count} of {n} records: the regression is under-determined and "
            "their SHAP values are a minimum-norm split that is mostly sampling noise (often the "
            "same value for every feature). Use num_samples well above the number of features, "
            "fewer features (features_to_explain), or a baseline closer to the data "
            "(fewer features differ from it)."
        )
    return out
