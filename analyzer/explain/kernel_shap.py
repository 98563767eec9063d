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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.errors import ConfigError, DataError
from analyzer.explain._estimate import median_se
from analyzer.explain._frames import encode
from analyzer.explain._game import LOGIT_EPS, CountingPredict, Predict, link, weighted_sum
from analyzer.explain._patterns import find_patterns
from analyzer.explain._run import Run

#: Explains every record of a run (in this process, or in shards elsewhere).
Runner = Callable[[Run, int], None]

log = logging.getLogger(__name__)

__all__ = ["AGG_METHODS", "DEFAULT_MAX_ROWS_PER_CALL", "LOGIT_EPS", "KernelShapResult", "Predict", "Runner",
           "kernel_shap", "resolve_features"]

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
    algorithm : str
        ``"kernel"``, or ``"tree_exact"`` for exact values (then standard errors are 0).
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
    algorithm: str = "kernel"  # "tree_exact" when analyzer.explain.exact computed the values


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
    runner: Runner | None = None,
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
    runner : callable, optional
        ``runner(run, max_rows_per_call)`` explains the records of ``run`` instead of this process,
        e.g. in shards on Dask workers (:mod:`analyzer.distributed`); same results, bit for bit.
    """
    _check_inputs(records, baseline, num_samples, max_rows_per_call)
    began = time.monotonic()
    weights = _normalised_weights(baseline_weights, len(baseline))
    names = [str(c) for c in records.columns]
    players = np.asarray(resolve_features(names, features_to_explain), dtype=np.intp)
    codec, (x_vals, b_vals) = encode(records, baseline)
    model = CountingPredict(predict, max_rows_per_call)
    fnull_rows = model(codec.decode(b_vals))
    fnull = weighted_sum(fnull_rows[None, :, :], weights)[0]
    patterns = find_patterns(x_vals, b_vals, players, num_samples)
    run = Run(model=model, codec=codec, x_vals=x_vals, b_vals=b_vals, weights=weights, players=players,
               subset_game=len(players) < len(names), seed=0 if seed is None else int(seed),
               num_samples=num_samples, use_logit=use_logit, fnull=fnull, patterns=patterns)
    if runner is None:
        run.explain_all(max_rows_per_call)
    else:
        runner(run, max_rows_per_call)

    n, n_base = len(records), len(baseline)
    global_se = {k: np.sqrt(v) for k, v in run.global_var.items()}
    if agg_method in (None, "median"):  # the median's SE is the costly one: only when asked for
        global_se["median"] = median_se(run.local, run.local_var, patterns.pattern_of)
    warnings = _warnings(patterns.num_varying, patterns.num_samples_used, n)
    for message in warnings:
        log.warning(message)
    log.info("Kernel SHAP: %d records, %d baseline rows, %d model calls, %d model rows%s",
             n, n_base, model.calls, model.rows, "" if runner else _idle_text(time.monotonic() - began, model.seconds))
    return KernelShapResult(
        feature_names=[names[i] for i in players],
        local_values=run.local,
        expected_value=link(fnull, use_logit),
        local_std_errors=np.sqrt(run.local_var),
        num_varying=patterns.num_varying,
        num_samples_used=patterns.num_samples_used,
        global_std_errors=global_se,
        warnings=warnings,
        model_calls=model.calls,
        model_rows=model.rows,
    )


def _idle_text(wall: float, in_calls: float) -> str:
    """The wall time and how much of it no model call was running (the model had nothing to do)."""
    idle = max(0.0, wall - in_calls)
    return f" in {wall:.1f} s; no model call running {idle:.1f} s (model idle {100 * idle / max(wall, 1e-9):.0f}%)"


def _check_inputs(records: pd.DataFrame, baseline: pd.DataFrame, num_samples: int | None,
                  max_rows_per_call: int) -> None:
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


def _normalised_weights(baseline_weights: Sequence[float] | np.ndarray | None, n_base: int) -> np.ndarray:
    if baseline_weights is None:
        return np.full(n_base, 1.0 / n_base)
    weights = np.asarray(baseline_weights, dtype=float)
    if weights.shape != (n_base,) or np.any(weights < 0) or weights.sum() <= 0:
        raise DataError(
            f"Baseline weights must be {n_base} non-negative numbers with a positive sum; "
            f"got {weights.tolist()}."
        )
    return weights / weights.sum()


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
