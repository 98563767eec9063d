"""``segment_config``: the requested bias metrics and global SHAP values per segment of the data.

Each ``segment_config`` entry names a column and N segments: lists of categorical values, or of
interval strings (``"[1, 4]"``, ``"(2, 5]"``) for a numeric column; rows covered by none of them
form an extra ``__default__`` segment (the SDK's ``SegmentationConfig``). Every segment is
analysed exactly as a job on that segment's rows alone would be: the same bias functions on the
subset (predicted labels are per row, so they are the ones the whole job got), and global SHAP
values aggregated over the subset's local values (per-record values do not depend on the other
records). Clarify's own output layout for segments is not public; ours is the additive
``segments`` section of ``analysis.json`` documented in the README.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from analyzer.bias import Stage
from analyzer.config import AnalysisConfig
from analyzer.data import Dataset, resolve_column
from analyzer.errors import AnalysisError, ConfigError

if TYPE_CHECKING:
    from analyzer.stages import Explained

log = logging.getLogger("sagemaker-clarify-processing")

SECTION_KEY = "segments"          # the analysis.json key (our extension)
DEFAULT_SEGMENT = "__default__"
BIAS_STAGES: tuple[tuple[Stage, str], ...] = (("pre_training", "pre_training_bias_metrics"),
                                              ("post_training", "post_training_bias_metrics"))

_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\[\]()]+?)\s*,\s*([^,\[\]()]+?)\s*([\])])\s*$")

#: ``bias(dataset, stage, methods) -> section``: the job's own bias stage, applied to a subset.
BiasStage = Callable[[Dataset, Stage, tuple[str, ...]], dict[str, Any]]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    closed_low: bool
    closed_high: bool

    def contains(self, values: pd.Series) -> pd.Series:
        above = values >= self.low if self.closed_low else values > self.low
        below = values <= self.high if self.closed_high else values < self.high
        return above & below


def parse_interval(text: Any) -> Interval | None:
    """``"[1, 4]"`` / ``"(2, 5]"`` / ``"(-inf, 3)"`` → an Interval; anything else → None."""
    if not isinstance(text, str):
        return None
    match = _INTERVAL.match(text)
    if not match:
        return None
    try:
        low, high = float(match.group(2)), float(match.group(3))
    except ValueError:
        return None
    if math.isnan(low) or math.isnan(high):
        return None
    return Interval(low, high, match.group(1) == "[", match.group(4) == "]")


def _mask(column: pd.Series, values: Sequence[Any], where: str) -> pd.Series:
    """Rows of one segment: interval strings on a numeric column, else the listed values (also
    matched by their text, so 1 and "1" name the same category)."""
    intervals = [parse_interval(v) for v in values]
    if pd.api.types.is_numeric_dtype(column) and values and all(intervals):
        mask = pd.Series(False, index=column.index)
        for interval in intervals:
            if interval is not None:
                mask |= interval.contains(column)
        return mask
    if any(intervals) and pd.api.types.is_numeric_dtype(column) and not all(intervals):
        raise ConfigError(f"{where}: mixes interval strings and single values; give one or the other.")
    texts = {str(v) for v in values}
    return column.isin(list(values)) | column.astype(str).isin(texts)


@dataclass(frozen=True)
class Segment:
    name: str
    values: tuple[Any, ...] | None     # None for the default segment
    mask: np.ndarray


def segments_of(entry: Mapping[str, Any], frame: pd.DataFrame, index: int) -> tuple[str, list[Segment]]:
    """(column name, the entry's segments followed by ``__default__``)."""
    key = f"segment_config[{index}]"
    column = resolve_column(entry["name_or_index"], list(frame.columns), f"{key}.name_or_index", "the dataset")
    listed = entry["segments"]
    aliases = list(entry.get("display_aliases") or ())
    if aliases and len(aliases) not in (len(listed), len(listed) + 1):
        raise ConfigError(f"{key}.display_aliases: give {len(listed)} names (one per segment) or "
                          f"{len(listed) + 1} (the last for {DEFAULT_SEGMENT}); got {len(aliases)}.")
    out, covered = [], np.zeros(len(frame), dtype=bool)
    for i, values in enumerate(listed):
        mask = _mask(frame[column], values, f"{key}.segments[{i}]").to_numpy(dtype=bool)
        covered |= mask
        name = aliases[i] if i < len(aliases) else ", ".join(map(str, values))
        out.append(Segment(name, tuple(values), mask))
    default_name = aliases[len(listed)] if len(aliases) == len(listed) + 1 else DEFAULT_SEGMENT
    out.append(Segment(default_name, None, ~covered))
    return column, out


def _subset(dataset: Dataset, mask: np.ndarray) -> Dataset:
    return replace(dataset, frame=dataset.frame.loc[mask].reset_index(drop=True))


def _shap(explained: Explained | None, mask: np.ndarray) -> dict[str, Any] | None:
    """Global SHAP values over the segment's records, per model output, as in ``explanations``."""
    if explained is None or explained.explanation.kernel_shap is None:
        return None
    from analyzer.explain import global_values

    result = explained.explanation.kernel_shap
    settings = explained.explanation.shap_settings
    agg = settings.agg_method if settings is not None else "mean_abs"
    glob = global_values(result.local_values[mask], agg)
    return {label: {"global_shap_values": {f: float(glob[j, k]) for j, f in enumerate(result.feature_names)},
                    "expected_value": float(result.expected_value[k])}
            for k, label in enumerate(explained.explanation.labels)}


def _segment_result(config: AnalysisConfig, dataset: Dataset, segment: Segment, bias: BiasStage,
                    explained: Explained | None) -> dict[str, Any]:
    rows = int(segment.mask.sum())
    out: dict[str, Any] = {"name": segment.name,
                           "values": None if segment.values is None else list(segment.values),
                           "num_rows": rows}
    if rows == 0:
        out["error"] = "No rows in this segment."
        return out
    subset = _subset(dataset, segment.mask)
    for stage, key in BIAS_STAGES:
        methods = getattr(config.methods, f"{stage}_bias")
        if methods is None:
            continue
        try:
            out[key] = bias(subset, stage, methods)
        except AnalysisError as exc:   # e.g. no positive labels in a small segment: that segment only
            out[key] = {"error": exc.message}
    shap = _shap(explained, segment.mask)
    if shap is not None:
        out["explanations"] = {"kernel_shap": shap}
    return out


def segment_section(config: AnalysisConfig, dataset: Dataset, bias: BiasStage,
                    explained: Explained | None) -> list[dict[str, Any]]:
    """The ``segments`` section: one entry per ``segment_config`` entry, one result per segment."""
    section = []
    for index, entry in enumerate(config.segment_config or ()):
        column, segments = segments_of(entry, dataset.frame, index)
        log.info("Calculating metrics for %d segments of column %s", len(segments), column)
        item: dict[str, Any] = {"config_name": entry.get("config_name") or f"segment_config_{index}",
                                "name_or_index": entry["name_or_index"], "column": column,
                                "segments": [_segment_result(config, dataset, s, bias, explained)
                                             for s in segments]}
        section.append(item)
    return section
