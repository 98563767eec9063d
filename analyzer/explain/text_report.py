"""Clarify's shapes for text explanations: the ``kernel_shap`` section and ``out.jsonl`` lines.

``analysis.json``: per label ``global_shap_values`` (tabular features only: Clarify does not
aggregate text features globally), ``expected_value`` and ``global_top_shap_text``: per text feature
the ``max_top_tokens`` units with the largest aggregated attribution, every occurrence of a unit
(same text) in any record aggregated with ``agg_method``.

``explanations_shap/out.jsonl``: one line per record (spec §3.4)::

    {"explanations": [{"feature_name": "Review Text", "data_type": "free_text",
       "attributions": [{"attribution": [0.0185], "description": {"partial_text": "i love this dress!",
                                                                  "start_idx": 133}}]}],
     "join_source_value": ...}

Tabular features of a mixed record come as ``{"feature_name", "data_type": "numerical" |
"categorical", "attributions": [{"attribution": [...]}]}``, in dataset order with the text ones.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analyzer.explain.report import global_values, label_names
from analyzer.explain.text_shap import TextShapResult


def _aggregate(values: np.ndarray, agg_method: str) -> float:
    if agg_method == "median":
        return float(np.median(values))
    if agg_method == "mean_sq":
        return float(np.mean(values**2))
    return float(np.mean(np.abs(values)))


def top_tokens(result: TextShapResult, feature: str, label: int, agg_method: str, limit: int) -> dict[str, float]:
    """``{unit text: aggregated attribution}`` of the ``limit`` largest (by magnitude), largest first."""
    occurrences: dict[str, list[float]] = {}
    for units, values in zip(result.units, result.unit_values):
        for text, value in zip(units[feature].units, values[feature][:, label]):
            occurrences.setdefault(text, []).append(float(value))
    scored = [(token, _aggregate(np.asarray(v), agg_method)) for token, v in occurrences.items()]
    scored.sort(key=lambda item: -abs(item[1]))  # stable: ties keep first-seen order
    return dict(scored[:limit])


def text_kernel_shap_section(result: TextShapResult, *, agg_method: str = "mean_abs",
                             labels: Sequence[str] | None = None, max_top_tokens: int = 50) -> dict:
    """``{"<label>": {"global_shap_values", "expected_value", "global_top_shap_text"}}``."""
    names = label_names(len(result.expected_value), labels)
    glob = global_values(result.tabular_values, agg_method) if result.tabular_features else None
    out = {}
    for k, label in enumerate(names):
        out[label] = {
            "global_shap_values": {f: float(glob[j, k]) for j, f in enumerate(result.tabular_features)}
            if glob is not None else {},
            "expected_value": float(result.expected_value[k]),
            "global_top_shap_text": {f: top_tokens(result, f, k, agg_method, max_top_tokens)
                                     for f in result.text_features},
        }
    return out


def _tabular_type(series: pd.Series) -> str:
    return "numerical" if pd.api.types.is_numeric_dtype(series.dtype) else "categorical"


def local_lines(result: TextShapResult, records: pd.DataFrame,
                join_values: Sequence[Any] | None = None) -> list[dict]:
    """One ``out.jsonl`` object per record, in input order."""
    tab_index = {f: j for j, f in enumerate(result.tabular_features)}
    kinds = {f: _tabular_type(records[f]) for f in result.tabular_features}
    lines = []
    for i in range(len(result.units)):
        explanations = []
        for f in result.feature_names:
            if f in tab_index:
                explanations.append({"feature_name": f, "data_type": kinds[f], "attributions": [
                    {"attribution": [float(v) for v in result.tabular_values[i, tab_index[f]]]}]})
                continue
            units, values = result.units[i][f], result.unit_values[i][f]
            explanations.append({"feature_name": f, "data_type": "free_text", "attributions": [
                {"attribution": [float(v) for v in values[j]],
                 "description": {"partial_text": units.units[j], "start_idx": int(units.starts[j])}}
                for j in range(len(units))]})
        line: dict[str, Any] = {"explanations": explanations}
        if join_values is not None:
            value = join_values[i]
            line["join_source_value"] = value.item() if isinstance(value, np.generic) else value
        lines.append(line)
    return lines
