"""Model Monitor executions in-process: `python -m analyzer` with no flags, Model Monitor's layout and
environment, captured real traffic → analysis.json, constraint_violations.json, message, CloudWatch."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "capture"))  # the real-traffic recorder
from capture_traffic import FEATURES, model_server, population, record_traffic  # noqa: E402

from analyzer.cli import main  # noqa: E402
from analyzer.monitor.cloudwatch import INFINITY_VALUE  # noqa: E402
from analyzer.monitor.execution import monitor_variables  # noqa: E402
from analyzer.runtime import Runtime  # noqa: E402

BIAS_CONFIG = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
               "headers": FEATURES + ["label"], "label": "label"}
ENDPOINT, SCHEDULE = "churn-endpoint", "churn-bias-schedule"


@pytest.fixture
def monitor_env(base_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                          "endpointOutput"]}}),
           "sagemaker_endpoint_name": ENDPOINT, "sagemaker_monitoring_schedule_name": SCHEDULE,
           "publish_cloudwatch_metrics": "Enabled",
           "start_time": "2024-01-19T05:00:00Z", "end_time": "2024-01-19T07:00:00Z"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _traffic(base: Path, rows: int = 240, **kwargs: Any) -> Any:
    """Real traffic recorded into Model Monitor's input layout (endpoint input + ground truth)."""
    inputs = base / "processing" / "input"
    with model_server() as url:
        recording = record_traffic(url, population(rows), base / "recorded", **kwargs)
    (inputs / "endpoint").parent.mkdir(parents=True, exist_ok=True)
    recording.capture_dir.parent.parent.rename(inputs / "endpoint")
    recording.truth_dir.rename(inputs / "groundtruth")
    return recording


def _execute(base: Path, config: dict[str, Any], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(json.dumps(config))
    code = main([])
    return code, capsys.readouterr().err


def _read(base: Path, name: str) -> Any:
    return json.loads((base / "processing" / "output" / name).read_text())


def _metrics(base: Path) -> list[dict[str, Any]]:
    path = base / "output" / "metrics" / "cloudwatch" / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
def test_bias_execution_writes_analysis_violations_message_and_cloudwatch(
        base_dir: Path, monitor_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    _traffic(base_dir, seconds_apart=45)           # 80 events over an hour: all in the window
    code, log = _execute(base_dir, BIAS_CONFIG, capsys)
    assert code == 0, log
    analysis = _read(base_dir, "analysis.json")
    assert set(analysis) == {"version", "pre_training_bias_metrics", "post_training_bias_metrics"}
    assert "Variables used:" in log and SCHEDULE in log
    assert not (base_dir / "processing" / "output" / "constraint_violations.json").exists()  # no baseline

    # CloudWatch: one line per non-null metric, named and dimensioned as Model Monitor's bias metrics.
    expected = {}
    for key, stage in (("pre_training_bias_metrics", "Pre-training"), ("post_training_bias_metrics", "Post-Training")):
        for metric in analysis[key]["facets"]["sex"][0]["metrics"]:
            if metric.get("value") is not None:
                value = metric["value"]
                value = {"Infinity": INFINITY_VALUE, "-Infinity": -INFINITY_VALUE}.get(value, value)
                expected[(stage, f"bias_metric_{metric['name']}")] = value
    lines = _metrics(base_dir)
    assert {(dict((d["Name"], d["Value"]) for d in m["Dimensions"])["BiasStage"], m["MetricName"]): m["Value"]
            for m in lines} == expected
    dims = {d["Name"]: d["Value"] for d in lines[0]["Dimensions"]}
    assert dims == {"Endpoint": ENDPOINT, "MonitoringSchedule": SCHEDULE, "BiasStage": "Pre-training",
                    "Label": "label", "LabelValue": "1", "Facet": "sex", "FacetValue": "1"}
    assert {m["Timestamp"] for m in lines} == {"2024-01-19T07:00:00Z"}

    # A later execution checks drift against a baseline where every metric sat at neutral.
    baseline = json.loads(json.dumps(analysis))
    for key in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for metric in baseline[key]["facets"]["sex"][0]["metrics"]:
            if isinstance(metric.get("value"), (int, float)):
                metric["value"] = 1.0 if metric["name"] == "DI" else 0.0
    (base_dir / "baseline.json").write_text(json.dumps(baseline))
    monkeypatch.setenv("baseline_constraints", str(base_dir / "baseline.json"))
    code, log = _execute(base_dir, BIAS_CONFIG, capsys)
    assert code == 0, log                                      # Model Monitor reads the message, not the code
    violations = _read(base_dir, "constraint_violations.json")["violations"]
    moved = {m["name"] for key in ("pre_training_bias_metrics", "post_training_bias_metrics")
             for m in analysis[key]["facets"]["sex"][0]["metrics"]
             if isinstance(m.get("value"), (int, float)) and m["value"] != (1.0 if m["name"] == "DI" else 0.0)}
    assert {v["metric_name"] for v in violations} == moved and "DPPL" in moved
    assert {v["constraint_check_type"] for v in violations} == {"bias_drift_check"}
    assert (base_dir / "output" / "message").read_text().startswith("CompletedWithViolations:")


@pytest.mark.slow
def test_window_ground_truth_joins_and_job_config_environment(
        base_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    recording = _traffic(base_dir, seconds_apart=90)           # 120 events over 3 hours
    env = {"dataset_format": json.dumps({"sagemakerCaptureJson": {}}), "publish_cloudwatch_metrics": "Disabled",
           "start_time": "2024-01-19T06:00:00Z", "end_time": "2024-01-19T07:00:00Z"}
    config_dir = base_dir / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "processingjobconfig.json").write_text(json.dumps({"Environment": env}))
    assert monitor_variables(Runtime(base_dir), environ={}) == env
    code, log = _execute(base_dir, BIAS_CONFIG, capsys)
    assert code == 0, log
    events = len(recording.rows)
    in_hour = [i for i in range(events) if 40 <= i < 80]   # 06:00:00 <= 05:00 + 90 s * i < 07:00:00
    with_truth = sum(recording.has_truth[i] for i in in_hour)
    # Hour folder 05 is skipped unread; folder 07 is read (events are filed up to an hour late).
    assert "capture data: 1 of 3 file(s) are in hour folders outside the window" in log
    assert f"{len([i for i in range(events) if 80 <= i < 120])} captured event(s) are outside the window" in log
    assert f"{len(in_hour) - with_truth} of {len(in_hour)} captured event(s) have no ground truth" in log
    assert not (base_dir / "output" / "metrics").exists()      # publishing disabled


def test_an_execution_without_traffic_fails_clearly(base_dir: Path, monitor_env: dict[str, str],
                                                     capsys: pytest.CaptureFixture) -> None:
    (base_dir / "processing" / "input" / "endpoint" / ENDPOINT).mkdir(parents=True)
    (base_dir / "processing" / "input" / "endpoint" / ENDPOINT / "empty.jsonl").write_text("")
    code, log = _execute(base_dir, BIAS_CONFIG, capsys)
    message = (base_dir / "output" / "message").read_text()
    assert code == 3 and message.startswith("ClientError: No captured data in ")
    assert str(base_dir / "processing" / "input" / "endpoint") in message
    assert not (base_dir / "processing" / "output" / "analysis.json").exists()
    assert "Traceback" not in log
    (base_dir / "processing" / "input" / "endpoint" / ENDPOINT / "empty.jsonl").unlink()   # an empty mount
    code, _ = _execute(base_dir, BIAS_CONFIG, capsys)
    message = (base_dir / "output" / "message").read_text()
    assert code == 3 and message.startswith("ClientError: No captured data in ") and "no data files" in message


def test_bad_monitor_variables_are_config_errors(base_dir: Path, monitor_env: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("probability_threshold_attribute", "high")
    code, _ = _execute(base_dir, BIAS_CONFIG, capsys)
    assert code == 2
    assert "probability_threshold_attribute: 'high' is not a number" in (base_dir / "output" / "message").read_text()
    monkeypatch.delenv("probability_threshold_attribute")
    monkeypatch.setenv("end_time", "2024-01-19T04:00:00Z")
    code, _ = _execute(base_dir, BIAS_CONFIG, capsys)
    assert code == 2 and "start_time/end_time" in (base_dir / "output" / "message").read_text()


@pytest.mark.slow
def test_explainability_execution_shap_metrics_and_attribution_baseline(
        base_dir: Path, monitor_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    _traffic(base_dir, rows=60, seconds_apart=60)
    with model_server() as url:
        config = {"methods": {"shap": {"baseline": [[0, 40, 50000, 10]], "num_samples": 20, "agg_method": "mean_abs",
                                       "save_local_shap_values": False}},
                  "predictor": {"endpoint_url": url, "content_type": "text/csv", "accept_type": "text/csv"},
                  "headers": FEATURES}                     # ExplainabilityAnalysisConfig shape
        code, log = _execute(base_dir, config, capsys)
        assert code == 0, log
        analysis = _read(base_dir, "analysis.json")
        shap = analysis["explanations"]["kernel_shap"]["label0"]
        lines = {(m["MetricName"], {d["Name"]: d["Value"] for d in m["Dimensions"]}["ValueType"]): m["Value"]
                 for m in _metrics(base_dir)}
        assert lines == {**{(f"feature_{f}", "GlobalShapValues"): v for f, v in shap["global_shap_values"].items()},
                         ("ExpectedValue", "ExpectedValue"): shap["expected_value"]}
        (base_dir / "baseline.json").write_text(json.dumps(analysis))
        monkeypatch.setenv("baseline_constraints", str(base_dir / "baseline.json"))
        code, log = _execute(base_dir, config, capsys)
    assert code == 0, log
    assert _read(base_dir, "constraint_violations.json")["violations"] == []
    assert (base_dir / "output" / "message").read_text().startswith("Completed")
