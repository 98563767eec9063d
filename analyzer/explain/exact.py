"""``methods.shap.algorithm: "tree_exact"``: when exact TreeSHAP is Clarify's game, and running it.

Our Kernel SHAP game is ``v(S) = link(sum_b w_b f(x_S, b))`` (``link`` = logit with ``use_logit``,
applied *after* averaging over baseline rows). The trees give exact values of
``sum_b w_b m(x_S, b)`` for their margin ``m``. The two games are the same when:

- the scores are the margin itself (``identity``: regressors, ``binary:logitraw``, random-forest
  class probabilities, which are averages of leaf values) and ``use_logit`` is false, for any
  baseline; or
- the scores are ``sigmoid(margin)`` (binary logistic models), ``use_logit`` is true and the
  baseline has ONE row: then ``logit(f) = m``. Kernel SHAP clips probabilities to
  ``[1e-12, 1 - 1e-12]`` before the logit, so where ``|margin| > 27.6`` Kernel SHAP explains the
  clipped value and this path the true margin (a warning says when that happens).

Anything else falls back to Kernel SHAP with the reason logged: probabilities with ``use_logit``
false (``sigmoid`` of a sum is not a sum), ``use_logit`` with several baseline rows (the logit of
an average is not the average of margins), softmax outputs, scores not traceable to one margin
(e.g. the maximum class probability), pipelines with non-tree steps, categorical splits,
non-numeric features, or trees that do not reproduce the model's own predictions.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from analyzer.explain._frames import equal_values
from analyzer.explain.kernel_shap import AGG_METHODS, LOGIT_EPS, KernelShapResult, Predict
from analyzer.explain.tree_exact import tree_shap_values
from analyzer.models import IDENTITY, LOGISTIC, Source, UnsupportedModel

log = logging.getLogger(__name__)

ALGORITHM = "tree_exact"
#: Rows on which the trees must reproduce the model's scores before their values are trusted.
CHECK_ROWS = 256
LOGIT_LIMIT = float(np.log((1 - LOGIT_EPS) / LOGIT_EPS))

TreeSources = Callable[[], tuple]  # () -> (ModelTrees, [Source per score column]); may raise UnsupportedModel


class NotExact(Exception):
    """Exact TreeSHAP is not the configured game here; the message says why."""


def exact_reason(sources: list[Source], use_logit: bool, baseline_rows: int) -> str | None:
    """Why exact TreeSHAP would not equal the Kernel SHAP game (None: it does)."""
    for _, link in sources:
        if link == IDENTITY and not use_logit:
            continue
        if link == LOGISTIC and use_logit and baseline_rows == 1:
            continue
        if link == LOGISTIC and use_logit:
            return (f"use_logit with {baseline_rows} baseline rows: the game takes the logit of the probability "
                    "averaged over baseline rows, which is not the average of the trees' margins (exact with "
                    "one baseline row, or explain margins with use_logit false)")
        if link == LOGISTIC:
            return ("the scores are probabilities (a sigmoid of the trees' margin) and use_logit is false: that "
                    "game is not additive over trees (set use_logit true with one baseline row, or explain margins)")
        if link == IDENTITY:
            return "use_logit on scores that are sums of leaf values: the logit of a sum is not additive over trees"
        return f"the scores come from the trees through '{link}', which is not additive over trees"
    return None


def _numeric(frame: pd.DataFrame) -> np.ndarray:
    bad = [str(c) for c in frame.columns
           if not (isinstance(frame[c].dtype, np.dtype) and frame[c].dtype.kind in "biuf")]
    if bad:
        raise NotExact(f"non-numeric feature columns ({', '.join(bad[:5])})")
    return frame.to_numpy(dtype=float)


def _apply(link: str, margin: np.ndarray) -> np.ndarray:
    return margin if link == IDENTITY else 1.0 / (1.0 + np.exp(-margin))


def exact_shap(predict: Predict, tree_sources: TreeSources, records: pd.DataFrame, baseline: pd.DataFrame,
               weights: np.ndarray, players: np.ndarray, use_logit: bool) -> KernelShapResult:
    """Exact values of the Kernel SHAP game, or ``NotExact`` with the reason."""
    x, b = _numeric(records), _numeric(baseline)
    check = pd.concat([records.iloc[:CHECK_ROWS], baseline], ignore_index=True)
    scores = np.asarray(predict(check), dtype=float).reshape(len(check), -1)
    try:
        trees, sources = tree_sources()
    except UnsupportedModel as exc:
        raise NotExact(str(exc)) from None
    reason = exact_reason(sources, use_logit, len(baseline))
    if reason is not None:
        raise NotExact(reason)
    ensemble = trees.ensemble
    if ensemble.num_features != x.shape[1]:
        raise NotExact(f"the model has {ensemble.num_features} features and the dataset {x.shape[1]}")
    outputs = [output for output, _ in sources]
    margins = ensemble.margin(check.to_numpy(dtype=float))[:, outputs]
    ours = np.column_stack([_apply(link, margins[:, k]) for k, (_, link) in enumerate(sources)])
    if ours.shape != scores.shape or not np.allclose(ours, scores, rtol=1e-4, atol=1e-5):
        gap = np.abs(ours - scores).max() if ours.shape == scores.shape else f"shape {ours.shape} vs {scores.shape}"
        raise NotExact(f"the trees read from the model do not reproduce its predictions (largest difference {gap})")
    phi, expected = tree_shap_values(ensemble, x, b, weights, players, outputs)
    varying = ~equal_values(x[:, None, players], b[None, :, players]).all(axis=1)
    warnings = []
    if use_logit and np.abs(margins).max() > LOGIT_LIMIT:
        warnings.append(f"Some margins exceed ±{LOGIT_LIMIT:.1f} (probabilities within 1e-12 of 0 or 1): exact "
                        "TreeSHAP explains the true margin where Kernel SHAP would explain the clipped logit.")
    zeros = np.zeros_like(phi)
    return KernelShapResult(
        feature_names=[str(records.columns[i]) for i in players], local_values=phi, expected_value=expected,
        local_std_errors=zeros, num_varying=varying.sum(axis=1), num_samples_used=np.zeros(len(x), dtype=np.intp),
        global_std_errors={m: np.zeros(phi.shape[1:]) for m in AGG_METHODS}, warnings=warnings,
        model_calls=1, model_rows=len(check), algorithm=ALGORITHM)


def try_exact(predict: Predict, tree_sources: TreeSources | None, records: pd.DataFrame, baseline: pd.DataFrame,
              weights: np.ndarray, players: np.ndarray, use_logit: bool) -> KernelShapResult | None:
    """``exact_shap`` or None after logging why Kernel SHAP runs instead."""
    if tree_sources is None:
        log.warning("methods.shap.algorithm tree_exact needs predictor.in_process with a tree model; "
                    "using Kernel SHAP.")
        return None
    try:
        result = exact_shap(predict, tree_sources, records, baseline, weights, players, use_logit)
    except NotExact as exc:
        log.warning("methods.shap.algorithm tree_exact: %s; using Kernel SHAP instead.", exc)
        return None
    log.info("SHAP: exact interventional TreeSHAP for %d rows x %d features against %d baseline rows.",
             len(records), len(players), len(baseline))
    return result
