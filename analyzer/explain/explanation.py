"""An explanation: the settings of ``methods.shap`` / ``methods.pdp``, the run that computes Kernel SHAP
and partial dependence for a set of records, and the result every explanation output is written from."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.errors import ConfigError
from analyzer.explain.baseline import Baseline, auto_baseline, coerce_to
from analyzer.explain.exact import TreeSources, try_exact
from analyzer.explain.kernel_shap import (
    DEFAULT_MAX_ROWS_PER_CALL,
    KernelShapResult,
    Predict,
    Runner,
    kernel_shap,
    resolve_features,
)
from analyzer.explain.pdp import partial_dependence
from analyzer.explain.report import (
    explanations_section,
    global_values,
    kernel_shap_section,
    label_names,
    local_values_frame,
)


@dataclass(frozen=True)
class ShapSettings:
    """``methods.shap`` after parsing. ``baseline`` is a frame of feature rows (already parsed, e.g.
    by ``parse_baseline``) or ``None`` for the automatic baseline with ``num_clusters``."""

    baseline: pd.DataFrame | None = None
    baseline_weights: Sequence[float] | None = None
    num_clusters: int | None = None
    num_samples: int | None = None
    seed: int | None = None
    agg_method: str = "mean_abs"
    use_logit: bool = False
    save_local_shap_values: bool = True
    features_to_explain: Sequence[str | int] | None = None
    label_names: Sequence[str] | None = None
    max_rows_per_call: int = DEFAULT_MAX_ROWS_PER_CALL
    algorithm: str = "kernel"  # or "tree_exact" (analyzer.explain.exact)


@dataclass(frozen=True)
class PdpSettings:
    """``methods.pdp``: explicit ``features`` or the ``top_k_features`` by global SHAP."""

    features: Sequence[str | int] | None = None
    grid_resolution: int = 15
    top_k_features: int = 10
    categorical_features: Sequence[str] = ()
    label_names: Sequence[str] | None = None  # used when SHAP did not run
    max_rows_per_call: int = DEFAULT_MAX_ROWS_PER_CALL


@dataclass
class Explanation:
    """Everything the writers need."""

    shap_settings: ShapSettings | None
    kernel_shap: KernelShapResult | None = None
    baseline: Baseline | None = None
    pdp: list[dict] | None = None
    labels: list[str] = field(default_factory=list)

    def explanations(self, include_diagnostics: bool = True) -> dict:
        """The ``explanations`` object of ``analysis.json``."""
        section = None
        if self.kernel_shap is not None and self.shap_settings is not None:
            section = kernel_shap_section(
                self.kernel_shap,
                agg_method=self.shap_settings.agg_method,
                labels=self.labels,
                baseline_rows=len(self.baseline.rows) if self.baseline is not None else None,
                include_diagnostics=include_diagnostics,
            )
        return explanations_section(section, self.pdp)

    def local_values_frame(self, join_column: str | None = None, join_values=None) -> pd.DataFrame | None:
        """The ``out.csv`` frame, or ``None`` when local values are not to be saved."""
        if self.kernel_shap is None or self.shap_settings is None or not self.shap_settings.save_local_shap_values:
            return None
        return local_values_frame(self.kernel_shap, labels=self.labels,
                                  join_column=join_column, join_values=join_values)

    def baseline_frame(self) -> pd.DataFrame | None:
        """The baseline rows actually used (``baseline.csv``: features only)."""
        return None if self.baseline is None else self.baseline.rows


def explain(
    predict: Predict,
    records: pd.DataFrame,
    *,
    shap: ShapSettings | None = None,
    pdp: PdpSettings | None = None,
    feature_names: Sequence[str] | None = None,
    tree_sources: TreeSources | None = None,
    shap_runner: Runner | None = None,
) -> Explanation:
    """Run Kernel SHAP and/or PDP for ``records`` (feature columns; ``feature_names`` selects them).
    ``tree_sources`` (an in-process tree model's) enables ``algorithm="tree_exact"``; ``shap_runner``
    explains Kernel SHAP's records elsewhere (Dask workers)."""
    if shap is None and pdp is None:
        raise ConfigError("Nothing to explain: neither methods.shap nor methods.pdp is set.")
    frame = records if feature_names is None else records[list(feature_names)]
    result = Explanation(shap_settings=shap)
    if shap is not None:
        _run_shap(result, predict, frame, shap, tree_sources, shap_runner)
    if pdp is not None:
        _run_pdp(result, predict, frame, pdp)
    return result


def shap_baseline(shap: ShapSettings, frame: pd.DataFrame) -> Baseline:
    """The given baseline typed like ``frame`` (its columns' types are enough), or the automatic one
    over ``frame``'s rows."""
    if shap.baseline is not None and shap.num_clusters is not None:
        raise ConfigError("methods.shap: give either baseline or num_clusters, not both.")
    if shap.baseline is None:
        return auto_baseline(frame, shap.num_clusters, shap.seed)
    rows = coerce_to(shap.baseline, frame, source="methods.shap.baseline")
    weights = (np.full(len(rows), 1.0 / len(rows)) if shap.baseline_weights is None
               else np.asarray(shap.baseline_weights, dtype=float))
    return Baseline(rows, weights)


def _run_shap(result: Explanation, predict: Predict, frame: pd.DataFrame, shap: ShapSettings,
              tree_sources: TreeSources | None = None, runner: Runner | None = None) -> None:
    base = result.baseline = shap_baseline(shap, frame)
    if shap.algorithm == "tree_exact":
        players = np.asarray(resolve_features([str(c) for c in frame.columns], shap.features_to_explain))
        result.kernel_shap = try_exact(predict, tree_sources, frame, base.rows, base.weights, players,
                                       shap.use_logit)
    if result.kernel_shap is None:
        result.kernel_shap = kernel_shap(
            predict, frame, base.rows,
            baseline_weights=base.weights,
            features_to_explain=shap.features_to_explain,
            num_samples=shap.num_samples,
            seed=shap.seed,
            use_logit=shap.use_logit,
            max_rows_per_call=shap.max_rows_per_call,
            agg_method=shap.agg_method,
            runner=runner,
        )
    result.labels = label_names(len(result.kernel_shap.expected_value), shap.label_names)


def _pdp_features(result: Explanation, frame: pd.DataFrame, pdp: PdpSettings) -> list[str]:
    glob = explained = None
    if pdp.features is None and result.kernel_shap is not None and result.shap_settings is not None:
        glob = global_values(result.kernel_shap.local_values, result.shap_settings.agg_method)
        explained = result.kernel_shap.feature_names
    return pdp_features([str(c) for c in frame.columns], pdp, glob, explained)


def pdp_features(names: list[str], pdp: PdpSettings, glob: np.ndarray | None = None,
                 explained: Sequence[str] | None = None) -> list[str]:
    """``pdp.features`` in the user's order, or the ``top_k_features`` by the global SHAP values ``glob``
    of the ``explained`` features."""
    if pdp.features is not None:
        chosen = [names[i] for i in resolve_features(names, pdp.features)]
        # keep the user's order
        order = {f: i for i, f in enumerate(pdp.features)}
        chosen.sort(key=lambda f: order.get(f, order.get(names.index(f), 0)))
        return chosen
    if glob is not None and explained is not None:
        score = np.abs(glob).sum(axis=1)
        top = np.argsort(-score, kind="stable")[: pdp.top_k_features]
        return [explained[i] for i in top]
    raise ConfigError("methods.pdp.features is required when methods.shap is not set.")


def _run_pdp(result: Explanation, predict: Predict, frame: pd.DataFrame, pdp: PdpSettings) -> None:
    labels = result.labels or (list(pdp.label_names) if pdp.label_names is not None else None)
    result.pdp = [
        partial_dependence(
            predict, frame, f,
            grid_resolution=pdp.grid_resolution,
            categorical=True if f in pdp.categorical_features else None,
            label_headers=labels,
            max_rows_per_call=pdp.max_rows_per_call,
        )
        for f in _pdp_features(result, frame, pdp)
    ]
    if not result.labels and result.pdp:
        result.labels = list(result.pdp[0]["label_headers"])
