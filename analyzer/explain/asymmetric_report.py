"""Clarify's shapes for time-series explanations (spec §3.5).

``analysis.json``: ``explanations.asymmetric_shapley_value = {"direction", "granularity",
"explanation_results_path"}`` (the S3 location of the results when the output is in S3).
``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``: one line per item::

    {"item_id": "sanjose", "offset": [...per forecast step...],
     "explanations": [{"feature_name": "p_mbar", "timestamp": "2020-01-01 16:20:00",
                       "scores": [...per forecast step...]}, ...]}

``offset`` is the baseline forecast, so ``offset + sum(scores) = forecast`` per step. Fine-grained
lines list each series over its timestamps in time order, the target first, then the related series
in config order (the order of AWS's published output, where the target's entries stop at its last
known value and the related series run on through the horizon). Timewise values belong to a whole
time step; their ``feature_name`` is the target series' name (INFERRED: the public samples show only
fine-grained lines). Static covariates that were players (fine-grained with a static baseline) come
last, without a timestamp (INFERRED).
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


def item_line(item_id: Any, result: AsymmetricResult, timestamps: Sequence[Any], series_names: Sequence[str], *,
              target_steps: int | None = None, static_names: Sequence[str] = ()) -> dict[str, Any]:
    """One ``out.jsonl`` object. ``series_names``: target first, then the related series;
    ``target_steps``: how many leading timestamps the target has values for (default all);
    ``static_names``: static covariates that were players (``result`` then has a leading step for them)."""
    values = result.values[1:] if static_names else result.values
    if len(timestamps) != values.shape[0]:
        raise ValueError(f"{len(timestamps)} timestamps for {values.shape[0]} time steps")
    explanations: list[dict[str, Any]] = []
    if values.ndim == 2:  # timewise: one value per step
        explanations = [_entry(series_names[0], stamp, values[t]) for t, stamp in enumerate(timestamps)]
    else:
        for f, name in enumerate(series_names):
            steps = len(timestamps) if f or target_steps is None else target_steps
            explanations.extend(_entry(name, timestamps[t], values[t, f]) for t in range(steps))
    for j, name in enumerate(static_names):
        explanations.append({"feature_name": name, "scores": [float(v) for v in result.values[0, j]]})
    return {"item_id": item_id, "offset": [float(v) for v in result.offset], "explanations": explanations}


def _entry(name: str, stamp: Any, scores: Any) -> dict[str, Any]:
    return {"feature_name": name, "timestamp": str(stamp), "scores": [float(v) for v in scores]}
