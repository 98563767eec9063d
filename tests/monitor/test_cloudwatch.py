"""CloudWatch metric lines from analysis.json: names, dimensions, ±inf encoding, nothing for null metrics."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from analyzer.monitor.cloudwatch import INFINITY_VALUE, cloudwatch_metrics, metric_value, write_metrics

DOCUMENT = {
    "version": "1.0",
    "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1", "facets": {"Sex": [
        {"value_or_threshold": "0", "metrics": [
            {"name": "DPPL", "description": "d", "value": -0.25},
            {"name": "TE", "description": "t", "value": "Infinity"},
            {"name": "FT", "description": "f", "value": "-Infinity"},
            {"name": "CDDPL", "description": "c", "value": None, "error": "Group variable is empty or not provided"},
        ]}]}},
    "pre_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1", "facets": {"Sex": [
        {"value_or_threshold": "0", "metrics": [{"name": "CI", "description": "c", "value": 0}]}]}},
    "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"age": 0.5, "income": 0.125},
                                                "expected_value": 0.25}}},
}


def _dims(metric: dict) -> dict:
    return {d["Name"]: d["Value"] for d in metric["Dimensions"]}


def test_bias_and_explainability_metrics() -> None:
    when = datetime(2024, 1, 19, 7, tzinfo=timezone.utc)
    metrics = cloudwatch_metrics(DOCUMENT, endpoint="ep", schedule="sched", timestamp=when)
    assert [(m["MetricName"], m["Value"]) for m in metrics] == [
        ("bias_metric_CI", 0.0), ("bias_metric_DPPL", -0.25), ("bias_metric_TE", INFINITY_VALUE),
        ("bias_metric_FT", -INFINITY_VALUE), ("feature_age", 0.5), ("feature_income", 0.125), ("ExpectedValue", 0.25)]
    assert _dims(metrics[0]) == {"Endpoint": "ep", "MonitoringSchedule": "sched", "BiasStage": "Pre-training",
                                 "Label": "y", "LabelValue": "1", "Facet": "Sex", "FacetValue": "0"}
    assert _dims(metrics[1])["BiasStage"] == "Post-Training"
    assert _dims(metrics[4]) == {"Endpoint": "ep", "MonitoringSchedule": "sched", "ExplainabilityMethod": "KernelShap",
                                 "Label": "label0", "ValueType": "GlobalShapValues"}
    assert _dims(metrics[6])["ValueType"] == "ExpectedValue"
    assert {m["Timestamp"] for m in metrics} == {"2024-01-19T07:00:00Z"}


def test_batch_schedules_have_no_endpoint_dimension_and_values_are_coerced() -> None:
    metrics = cloudwatch_metrics(DOCUMENT, endpoint=None, schedule="sched")
    assert all("Endpoint" not in _dims(m) for m in metrics)
    assert [metric_value(v) for v in (float("inf"), float("nan"), True, "n/a", 3)] == [INFINITY_VALUE, None, None,
                                                                                        None, 3.0]


def test_metric_file_is_json_lines(tmp_path: Path) -> None:
    metrics = cloudwatch_metrics(DOCUMENT, endpoint="ep", schedule="s")
    path = write_metrics(tmp_path / "cw", metrics)
    assert [json.loads(line) for line in path.read_text().splitlines()] == metrics
    assert [p.name for p in (tmp_path / "cw").iterdir()] == ["metrics.jsonl"]
