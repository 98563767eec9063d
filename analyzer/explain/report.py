"""Global SHAP values and the output shapes: ``analysis.json`` ``explanations`` and ``out.csv``.

``explanations.kernel_shap.<label>`` holds exactly Clarify's keys in Clarify's order
(``global_shap_values`` in feature order, then ``expected_value``). Our extension is one extra key
in each label block, ``analyzer_diagnostics``, always last, so code that reads Clarify's keys or
iterates the label keys of ``kernel_shap`` is unaffected::

    "analyzer_diagnostics": {
        "agg_method": "mean_abs",
        "global_shap_standard_errors": {<feature>: Monte-Carlo standard error of the global value},
        "num_varying_features": {"min": .., "mean": .., "max": ..},
        "num_samples_used": {"min": .., "mean": .., "max": ..},
        "baseline_rows": B,
        "warnings": [..]
    }

``include_diagnostics=False`` leaves it out for a byte-for-byte Clarify layout.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analyzer.errors import ConfigError
from analyzer.explain.kernel_shap import AGG_METHODS, KernelShapResult
from analyzer.formats import score_names

DIAGNOSTICS_KEY = "analyzer_diagnostics"


def global_values(local: np.ndarray, agg_method: str = "mean_abs") -> np.ndarray:
    """Aggregate local values (n, M, D) over records: mean |phi|, median phi (signed), mean phi^2."""
    if agg_method not in AGG_METHODS:
        raise ConfigError(
            f"methods.shap.agg_method must be one of {list(AGG_METHODS)}; got {agg_method!r}."
        )
    if local.shape[0] == 0:
        return np.zeros(local.shape[1:])
    if agg_method == "mean_abs":
        return np.abs(local).mean(axis=0)
    if agg_method == "median":
        return np.median(local, axis=0)
    return (local**2).mean(axis=0)


def label_names(num_outputs: int, names: Sequence[str] | None = None) -> list[str]:
    """``names`` if given (one per model output), else ``label0``, ``label1``, ..."""
    if names is None:
        return list(score_names(num_outputs, None))
    names = [str(n) for n in names]
    if num_outputs == 1 and len(names) == 2:  # the SDK's one-score idiom: the positive class's score
        return list(score_names(1, tuple(names)))
    if len(names) != num_outputs:
        raise ConfigError(
            f"{len(names)} label names were given ({names}) but the model returns "
            f"{num_outputs} scores per record; give one name per score."
        )
    return names


def _summary(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"min": 0, "mean": 0.0, "max": 0}
    return {"min": int(values.min()), "mean": float(values.mean()), "max": int(values.max())}


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def kernel_shap_section(
    result: KernelShapResult,
    *,
    agg_method: str = "mean_abs",
    labels: Sequence[str] | None = None,
    baseline_rows: int | None = None,
    include_diagnostics: bool = True,
    glob: np.ndarray | None = None,
) -> dict:
    """``{"<label>": {"global_shap_values": {...}, "expected_value": x, ...}}`` per model output; ``glob``:
    the global values when ``result`` does not hold the local values (accumulated chunk by chunk)."""
    glob = global_values(result.local_values, agg_method) if glob is None else glob
    se = result.global_std_errors.get(agg_method)
    names = label_names(len(result.expected_value), labels)
    out = {}
    for k, label in enumerate(names):
        block: dict = {
            "global_shap_values": {f: float(glob[j, k]) for j, f in enumerate(result.feature_names)},
            "expected_value": float(result.expected_value[k]),
        }
        if include_diagnostics:
            diag: dict = {"agg_method": agg_method}
            if result.algorithm != "kernel":
                diag["algorithm"] = result.algorithm  # exact values: standard errors are 0
            if se is not None:
                diag["global_shap_standard_errors"] = {
                    f: _number(se[j, k]) for j, f in enumerate(result.feature_names)
                }
            diag["num_varying_features"] = _summary(result.num_varying)
            diag["num_samples_used"] = _summary(result.num_samples_used)
            if baseline_rows is not None:
                diag["baseline_rows"] = int(baseline_rows)
            diag["warnings"] = list(result.warnings)
            block[DIAGNOSTICS_KEY] = diag
        out[label] = block
    return out


def local_values_frame(
    result: KernelShapResult,
    *,
    labels: Sequence[str] | None = None,
    join_column: str | None = None,
    join_values: Sequence | pd.Series | None = None,
) -> pd.DataFrame:
    """The ``out.csv`` frame: ``<feature>_<label>`` columns, label-major; join column first."""
    names = label_names(len(result.expected_value), labels)
    n, m, d = result.local_values.shape
    flat = result.local_values.transpose(0, 2, 1).reshape(n, d * m)  # label-major
    columns = [f"{f}_{label}" for label in names for f in result.feature_names]
    frame = pd.DataFrame(flat, columns=columns)
    if join_column is not None:
        if join_values is None or len(join_values) != n:
            raise ConfigError(f"The join column {join_column!r} needs one value per record ({n}).")
        frame.insert(0, join_column, list(join_values))
    return frame


def explanations_section(kernel_shap: dict | None = None, pdp: list | None = None) -> dict:
    """The ``explanations`` object of ``analysis.json`` (only the methods that ran)."""
    out: dict = {}
    if kernel_shap is not None:
        out["kernel_shap"] = kernel_shap
    if pdp is not None:
        out["pdp"] = pdp
    return out
