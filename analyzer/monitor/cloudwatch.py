"""CloudWatch metric files of a Model Monitor execution (spec §5.4; AWS "CloudWatch Metrics for
Bring Your Own Containers").

With ``publish_cloudwatch_metrics=Enabled`` the container writes JSON lines shaped like
CloudWatch's ``PutMetricData`` entries under ``/opt/ml/output/metrics/cloudwatch/``; SageMaker
publishes them (the namespace is SageMaker's: ``aws/sagemaker/Endpoints/bias-metrics``, ...).
One line per metric::

    {"MetricName": "bias_metric_DPPL", "Timestamp": "2024-01-19T06:00:00Z", "Value": 0.12,
     "Dimensions": [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", ...}, ...]}

±infinity is published as ±2.348543e108 (CloudWatch has no infinity); null metrics (an ``error``
instead of a value) are not published.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

INFINITY_VALUE = 2.348543e108
METRICS_FILE = "metrics.jsonl"
BIAS_STAGES = (("pre_training_bias_metrics", "Pre-training"), ("post_training_bias_metrics", "Post-Training"))


def metric_value(value: Any) -> float | None:
    """A metric value as CloudWatch takes it; None for what is not published."""
    if isinstance(value, str):   # analysis.json writes ±inf as "Infinity" / "-Infinity" (analyzer.output)
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    if math.isinf(value):
        return math.copysign(INFINITY_VALUE, value)
    return float(value)


def _dimensions(pairs: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": str(value)} for name, value in pairs.items() if value not in (None, "")]


def _bias(document: Mapping[str, Any], base: Mapping[str, str | None]) -> Iterator[tuple[str, float, list]]:
    for key, stage in BIAS_STAGES:
        section = document.get(key)
        if not isinstance(section, Mapping):
            continue
        for facet, entries in (section.get("facets") or {}).items():
            for entry in entries:
                for metric in entry.get("metrics", ()):
                    value = None if metric.get("error") else metric_value(metric.get("value"))
                    if value is None:
                        continue
                    yield f"bias_metric_{metric['name']}", value, _dimensions({
                        **base, "BiasStage": stage, "Label": section.get("label"),
                        "LabelValue": section.get("label_value_or_threshold"), "Facet": facet,
                        "FacetValue": entry.get("value_or_threshold")})


def _explainability(document: Mapping[str, Any], base: Mapping[str, str | None]) -> Iterator[tuple[str, float, list]]:
    shap = (document.get("explanations") or {}).get("kernel_shap") or {}
    for label, result in shap.items():
        common = {**base, "ExplainabilityMethod": "KernelShap", "Label": label}
        for feature, raw in (result.get("global_shap_values") or {}).items():
            value = metric_value(raw)
            if value is not None:
                yield f"feature_{feature}", value, _dimensions({**common, "ValueType": "GlobalShapValues"})
        value = metric_value(result.get("expected_value"))
        if value is not None:
            yield "ExpectedValue", value, _dimensions({**common, "ValueType": "ExpectedValue"})


def cloudwatch_metrics(document: Mapping[str, Any], *, endpoint: str | None, schedule: str | None,
                       timestamp: datetime | None = None) -> list[dict[str, Any]]:
    """Every publishable metric of ``analysis.json`` as a CloudWatch metric entry."""
    when = (timestamp or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = {"Endpoint": endpoint, "MonitoringSchedule": schedule}
    return [{"MetricName": name, "Timestamp": when, "Dimensions": dimensions, "Value": value}
            for producer in (_bias, _explainability) for name, value, dimensions in producer(document, base)]


def write_metrics(directory: Path, metrics: list[dict[str, Any]]) -> Path:
    """Write the metric lines atomically (a reader never sees half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / METRICS_FILE
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("".join(json.dumps(m) + "\n" for m in metrics), encoding="utf-8")
    tmp.replace(target)
    return target
