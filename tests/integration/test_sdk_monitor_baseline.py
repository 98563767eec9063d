"""The SDK's monitors as clients: ``ModelBiasMonitor.suggest_baseline`` and
``ModelExplainabilityMonitor.suggest_baseline`` run our image in SDK local mode (moto for S3, as in
test_sdk_local_mode), and the constraints they produce are read by a later monitoring execution
over real traffic captured from the same model, with the SDK's own monitoring configs.

The suggested baseline needs model predictions: the SDK's config names a SageMaker model, so (as
test_sdk_local_mode does) the job is pointed at the model server through our ``endpoint_url``
extension key; nothing else in the SDK's config is changed.
"""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from test_sdk_local_mode import (  # noqa: F401  (pytest finds the fixtures by name)
    FEATURES,
    LOCAL_CONFIG,
    REGION,
    ROLE,
    SDK_CONFIG,
    _bias_configs,
    clarify_image,
    model_server,
    moto_s3,
    numeric_label_rows,
    sdk,
    sdk_pipes_left_open,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "capture"))  # the real-traffic recorder
from capture_traffic import invoke  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.s3, pytest.mark.slow]


@pytest.fixture
def session(sdk: Any, moto_s3: str, clarify_image: str) -> Any:  # noqa: F811
    import boto3
    from sagemaker.local import LocalSession

    local = LocalSession(boto_session=boto3.Session(region_name=REGION), s3_endpoint_url=moto_s3,
                         sagemaker_config=SDK_CONFIG)
    local.config = LOCAL_CONFIG
    return local


@pytest.fixture
def model_over_network(model_server: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:  # noqa: F811
    """The SDK's processor runs the config it generated, with the model reached by endpoint_url."""
    from sagemaker import clarify

    original = clarify.SageMakerClarifyProcessor._run

    def run(self: Any, data_config: Any, analysis_config: dict, *args: Any, **kwargs: Any) -> Any:
        for key in ("model_name", "instance_type", "initial_instance_count"):
            analysis_config["predictor"].pop(key, None)
        analysis_config["predictor"]["endpoint_url"] = model_server["in_network"]
        self.skip_early_validation = True
        return original(self, data_config, analysis_config, *args, **kwargs)

    monkeypatch.setattr(clarify.SageMakerClarifyProcessor, "_run", run)
    yield model_server


def _capture(url: str, rows: list[list[Any]], base: Path) -> None:
    """Send the rows to the model (events of 1-3 records) and record them as SageMaker data capture
    does, with their ground truth, into Model Monitor's input layout under ``base``."""
    capture, truth = [], []
    position, event = 0, 0
    while position < len(rows):
        part = rows[position:position + 1 + event % 3]
        position += len(part)
        body = "\n".join(",".join(str(v) for v in row[:len(FEATURES)]) for row in part)
        answer = invoke(url, body, "text/csv")
        event_id = str(uuid.uuid4())
        capture.append({"captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": body, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": answer,
                               "encoding": "CSV"}},
            "eventMetadata": {"eventId": event_id, "inferenceTime": f"2024-01-19T05:{event % 60:02d}:00Z"},
            "eventVersion": "0"})
        truth.append({"groundTruthData": {"data": "\n".join(str(row[-1]) for row in part), "encoding": "CSV"},
                      "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})
        event += 1
    for folder, lines in ((base / "endpoint" / "ep" / "AllTraffic" / "2024/01/19/05", capture),
                          (base / "groundtruth" / "2024/01/19/06", truth)):
        folder.mkdir(parents=True)
        (folder / "part.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def _monitor_execution(base: Path, config: dict[str, Any], constraints: dict[str, Any],
                       monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict, dict]:
    from analyzer.cli import main

    (base / "processing" / "input" / "config").mkdir(parents=True, exist_ok=True)
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(json.dumps(config))
    (base / "constraints.json").write_text(json.dumps(constraints))
    for key, value in {"ANALYZER_BASE_DIR": str(base), "dataset_format": '{"sagemakerCaptureJson": {}}',
                       "sagemaker_monitoring_schedule_name": "hourly", "start_time": "2024-01-19T05:00:00Z",
                       "end_time": "2024-01-19T06:00:00Z", "baseline_constraints": str(base / "constraints.json"),
                       "publish_cloudwatch_metrics": "Disabled"}.items():
        monkeypatch.setenv(key, value)
    code = main([])
    out = base / "processing" / "output"
    return code, json.loads((out / "analysis.json").read_text()), json.loads(
        (out / "constraint_violations.json").read_text())


def test_bias_monitor_baseline_is_the_constraints_of_a_later_execution(
        session: Any, job_factory: Any, model_over_network: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, quiet_logging: None) -> None:
    from sagemaker import clarify
    from sagemaker.model_monitor import BiasAnalysisConfig, ModelBiasMonitor

    rows = numeric_label_rows(job_factory)
    job = job_factory.make(job_factory.config(), rows, name="bias-baseline")
    data_config, bias_config = _bias_configs(job, "monitor-bias", positive=1)
    model_config = clarify.ModelConfig(model_name="adult-logreg", instance_type="ml.m5.xlarge", instance_count=1,
                                       content_type="text/csv", accept_type="text/csv")
    monitor = ModelBiasMonitor(role=ROLE, instance_count=1, instance_type="local", sagemaker_session=session)
    with sdk_pipes_left_open():
        monitor.suggest_baseline(data_config, bias_config, model_config,
                                 clarify.ModelPredictedLabelConfig(probability_threshold=0.5), wait=True, logs=False)
    constraints = monitor.suggested_constraints().body_dict
    assert {"pre_training_bias_metrics", "post_training_bias_metrics"} <= set(constraints)

    base = tmp_path / "opt_ml"
    _capture(model_over_network["local"], rows, base / "processing" / "input")
    config = BiasAnalysisConfig(bias_config, headers=job.config["headers"], label="Target")._to_dict()
    code, analysis, violations = _monitor_execution(base, config, constraints, monkeypatch)
    assert code == 0
    # Same rows, same model: the execution reproduces the baseline exactly and finds no drift.
    for key in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        assert analysis[key] == constraints[key]
    assert violations == {"version": "1.0", "violations": []}


def test_explainability_monitor_baseline_is_the_constraints_of_a_later_execution(
        session: Any, job_factory: Any, model_over_network: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, quiet_logging: None) -> None:
    from sagemaker import clarify
    from sagemaker.model_monitor import ExplainabilityAnalysisConfig, ModelExplainabilityMonitor

    rows = numeric_label_rows(job_factory)[:30]
    job = job_factory.make(job_factory.config(), rows, name="explain-baseline")
    data_config, _ = _bias_configs(job, "monitor-explain", positive=1)
    model_config = clarify.ModelConfig(model_name="adult-logreg", instance_type="ml.m5.xlarge", instance_count=1,
                                       content_type="text/csv", accept_type="text/csv")
    shap_config = clarify.SHAPConfig(baseline=[[40, "Male", 40, "a"]], num_samples=16, agg_method="mean_abs",
                                     save_local_shap_values=False, seed=1)
    monitor = ModelExplainabilityMonitor(role=ROLE, instance_count=1, instance_type="local", sagemaker_session=session)
    with sdk_pipes_left_open():
        monitor.suggest_baseline(data_config, shap_config, model_config, wait=True, logs=False)
    constraints = monitor.suggested_constraints().body_dict
    assert set(constraints["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == set(FEATURES)

    base = tmp_path / "opt_ml"
    _capture(model_over_network["local"], rows, base / "processing" / "input")
    config = ExplainabilityAnalysisConfig(shap_config, model_config, headers=FEATURES)._to_dict()
    config["predictor"] = {k: v for k, v in config["predictor"].items()
                           if k not in ("model_name", "instance_type", "initial_instance_count")}
    config["predictor"]["endpoint_url"] = model_over_network["local"]
    code, analysis, violations = _monitor_execution(base, config, constraints, monkeypatch)
    assert code == 0
    assert analysis["explanations"] == constraints["explanations"]
    assert violations == {"version": "1.0", "violations": []}
