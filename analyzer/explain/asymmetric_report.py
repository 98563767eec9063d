"""Clarify's shapes for time-series explanations (spec §3.5).

``analysis.json``: ``explanations.asymmetric_shapley_value = {"direction", "granularity",
"explanation_results_path"}`` (the S3 location of the results when the output is in S3).
``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``: one line per item::

    {"item_id": "sanjose", "offset": [...per forecast step...],
     "explanations": [{"feature_name": "p_mbar", "timestamp": "2020-01-01 16:20:00",
                       "scores": [...per forecast step...]}, ...]}

``offset`` is the baseline forecast, so ``offset + sum(scores) = forecast`` per step. Fine-grained
lines list, per timestamp in time order, the target series then the related series in config order.
Timewise values belong to a whole time step; their ``feature_name`` is the target series' name
(INFERRED: the public samples show only fine-grained lines).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analyzer.explain.asymmetric import AsymmetricResult

METHOD_KEY = "asymmetric_shapley_value"


def results_path(granularity: str, direction: str) -> str:
    """The output-relative path of the ``out.jsonl`` file."""
    return f"{METHOD_KEY}/{granularity}_{direction}/out.jsonl"


def analysis_entry(direction: str, granularity: str, results_uri: str) -> dict[str, str]:
    return {"direction": direction, "granularity": granularity, "explanation_results_path": results_uri}


def item_line(item_id: Any, result: AsymmetricResult, timestamps: Sequence[str],
              series_names: Sequence[str]) -> dict[str, Any]:
    """One ``out.jsonl`` object; ``series_names`` = target first, then the related series."""
    values = result.values
    if len(timestamps) != values.shape[0]:
        raise ValueError(f"{len(timestamps)} timestamps for {values.shape[0]} time steps")
    explanations = []
    for t, stamp in enumerate(timestamps):
        if values.ndim == 2:  # timewise: one value per step
            explanations.append({"feature_name": series_names[0], "timestamp": str(stamp),
                                 "scores": [float(v) for v in values[t]]})
            continue
        for f, name in enumerate(series_names):
            explanations.append({"feature_name": name, "timestamp": str(stamp),
                                 "scores": [float(v) for v in values[t, f]]})
    return {"item_id": item_id, "offset": [float(v) for v in result.offset], "explanations": explanations}
