"""`docker run` of the image as a Model Monitor execution: Model Monitor's /opt/ml layout and
environment, real captured traffic → analysis.json, constraint_violations.json, message, CloudWatch."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "capture"))  # the real-traffic recorder
from capture_traffic import FEATURES, model_server, population, record_traffic  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CONFIG = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
          "headers": FEATURES + ["label"], "label": "label"}          # the SDK's BiasAnalysisConfig
ENV = {
    "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}),
    "sagemaker_endpoint_name": "ep-1", "sagemaker_monitoring_schedule_name": "bias-hourly",
    "start_time": "2024-01-19T05:00:00Z", "end_time": "2024-01-19T06:00:00Z", "publish_cloudwatch_metrics": "Enabled",
}


def _env_flags(env: dict[str, str]) -> list[str]:
    return [flag for key, value in env.items() for flag in ("-e", f"{key}={value}")]


def test_monitor_execution_in_the_container(job_factory: Any, analyzer_image: str, tmp_path: Path) -> None:
    job = job_factory.make(CONFIG, [], name="monitor")
    inputs = job.base / "processing" / "input"
    with model_server() as url:
        recording = record_traffic(url, population(200), tmp_path / "traffic", seconds_apart=30)
    recording.capture_dir.parent.parent.rename(inputs / "endpoint")
    recording.truth_dir.rename(inputs / "groundtruth")

    first = job.docker_run(analyzer_image, *_env_flags(ENV))
    assert first.code == 0, first.logs
    analysis = json.loads((first.output / "analysis.json").read_text())
    assert set(analysis) == {"version", "pre_training_bias_metrics", "post_training_bias_metrics"}
    assert first.message.startswith("Completed: ")
    assert "Variables used:" in first.logs
    lines = [json.loads(line) for line in
             (job.base / "output" / "metrics" / "cloudwatch" / "metrics.jsonl").read_text().splitlines()]
    published = sum(m.get("value") is not None for key in ("pre_training_bias_metrics", "post_training_bias_metrics")
                    for m in analysis[key]["facets"]["sex"][0]["metrics"])
    assert len(lines) == published and {m["Timestamp"] for m in lines} == {"2024-01-19T06:00:00Z"}
    assert all({"Endpoint": "ep-1", "MonitoringSchedule": "bias-hourly"}.items()
               <= {d["Name"]: d["Value"] for d in m["Dimensions"]}.items() for m in lines)

    # The baseline: the same analysis with DPPL moved to neutral, so exactly DPPL has drifted.
    baseline = json.loads(json.dumps(analysis))
    for metric in baseline["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]:
        if metric["name"] == "DPPL":
            assert metric["value"] != 0
            metric["value"] = 0.0
    (inputs / "baseline").mkdir()
    (inputs / "baseline" / "analysis.json").write_text(json.dumps(baseline))
    second = job.docker_run(analyzer_image, *_env_flags(
        {**ENV, "baseline_constraints": "/opt/ml/processing/input/baseline/analysis.json"}))
    assert second.code == 0, second.logs           # Model Monitor reads the message, not the exit code
    violations = json.loads((second.output / "constraint_violations.json").read_text())
    assert [(v["metric_name"], v["constraint_check_type"]) for v in violations["violations"]] == [
        ("DPPL", "bias_drift_check")]
    assert second.message.startswith("CompletedWithViolations: 1 violation")
