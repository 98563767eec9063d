"""Reading the values that checks compare out of an analysis.json document (ours or a baseline's).

Values are as Clarify writes them: JSON numbers, the strings ``"Infinity"`` / ``"-Infinity"``, or
``null`` with an ``error``. A malformed document raises ``ConfigError`` naming it (a baseline is
configuration: it says what the job must compare against).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from analyzer.errors import ConfigError
from analyzer.output import json_number

#: analysis.json section key per bias stage, in Clarify's order.
STAGE_KEYS = {"post_training": "post_training_bias_metrics", "pre_training": "pre_training_bias_metrics"}
STAGE_TITLES = {"pre_training": "pre-training", "post_training": "post-training"}


def number(value: Any) -> float | None:
    """The float behind a metric value: ±inf for Clarify's "Infinity" strings; None when absent or NaN."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("infinity", "inf", "+infinity"):
            return math.inf
        if text in ("-infinity", "-inf"):
            return -math.inf
        try:
            value = float(text)
        except ValueError:
            return None
    if isinstance(value, (int, float)):
        result = float(value)
        return None if math.isnan(result) else result
    return None


def value_text(value: Any) -> str:
    """A value as Model Monitor prints it in descriptions: Python's shortest float text, or the string."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if math.isinf(value):
            return str(json_number(value))
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class BiasEntry:
    """One metric of one facet value of one stage."""

    stage: str
    facet: str
    facet_value: str
    metric: str
    raw: Any                    # the JSON value as written
    error: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.stage, self.facet, self.facet_value, self.metric)

    @property
    def value(self) -> float | None:
        return number(self.raw)

    @property
    def subject(self) -> str:
        return f"{self.facet} = {self.facet_value}, {self.metric} ({STAGE_TITLES[self.stage]})"


def _bad(name: str, where: str) -> ConfigError:
    return ConfigError(f"{name} is not an analysis.json document: {where} has an unexpected shape.")


def bias_entries(document: Mapping[str, Any], name: str = "the analysis") -> list[BiasEntry]:
    """Every bias metric in ``document``, pre- and post-training."""
    entries = []
    for stage, key in STAGE_KEYS.items():
        section = document.get(key)
        if section is None:
            continue
        facets = section.get("facets") if isinstance(section, Mapping) else None
        if not isinstance(facets, Mapping):
            raise _bad(name, f"{key}.facets")
        for facet, groups in facets.items():
            if not isinstance(groups, list):
                raise _bad(name, f"{key}.facets.{facet}")
            for group in groups:
                if not isinstance(group, Mapping) or not isinstance(group.get("metrics"), list):
                    raise _bad(name, f"{key}.facets.{facet}")
                value = str(group.get("value_or_threshold", ""))
                for metric in group["metrics"]:
                    if not isinstance(metric, Mapping) or "name" not in metric:
                        raise _bad(name, f"{key}.facets.{facet} metrics")
                    error = metric.get("error")
                    entries.append(BiasEntry(stage, str(facet), value, str(metric["name"]), metric.get("value"),
                                             None if error is None else str(error)))
    return entries


def global_shap(document: Mapping[str, Any], name: str = "the analysis") -> dict[str, dict[str, float]]:
    """``explanations.kernel_shap.<label>.global_shap_values`` per label (empty without SHAP)."""
    kernel = (document.get("explanations") or {}).get("kernel_shap") or {}
    if not isinstance(kernel, Mapping):
        raise _bad(name, "explanations.kernel_shap")
    result = {}
    for label, block in kernel.items():
        values = block.get("global_shap_values") if isinstance(block, Mapping) else None
        if not isinstance(values, Mapping):
            raise _bad(name, f"explanations.kernel_shap.{label}")
        parsed = {str(f): number(v) for f, v in values.items()}
        result[str(label)] = {f: v for f, v in parsed.items() if v is not None}
    return result
