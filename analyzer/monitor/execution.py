"""Model Monitor executions: ``python -m analyzer`` (no flags) inside a ModelBiasMonitor or
ModelExplainabilityMonitor schedule runs the monitoring analysis over captured traffic.

Detection: the standard Model Monitor variables (spec §5.3), from the process environment or
the ``Environment`` of ``/opt/ml/config/processingjobconfig.json``; ``dataset_format`` or
``sagemaker_monitoring_schedule_name`` marks an execution. What each variable does here:

==================================  ===========================================================
``dataset_source``                  captured data (default ``<base>/processing/input/endpoint``)
``ground_truth_source`` (ours)      ground truth (default ``<base>/processing/input/groundtruth``
                                    when it exists; merged records carry their own)
``start_time`` / ``end_time``       the window on ``eventMetadata.inferenceTime``
``inference_attribute`` ...         ``predictor.label``, ``predictor.probability``,
``probability_attribute``           ``probability_threshold``, ``features`` for the captured
``probability_threshold_attribute`` data
``features_attribute``
``baseline_constraints``            the baseline ``analysis.json`` to check drift against
``publish_cloudwatch_metrics``      ``Enabled``: metric lines under ``<base>/output/metrics/cloudwatch``
``sagemaker_endpoint_name``,        CloudWatch dimensions ``Endpoint``, ``MonitoringSchedule``
``sagemaker_monitoring_schedule_name``
``output_path``                     results (default ``<base>/processing/output``)
``dataset_format``                  logged; capture, merged and batch-transform records are told
                                    apart line by line
==================================  ===========================================================

Violations make the message ``CompletedWithViolations: ...`` and the exit code 0: SageMaker
reads the message (spec §4.1).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from analyzer.errors import ConfigError
from analyzer.runtime import Runtime

if TYPE_CHECKING:
    from analyzer.job import JobOptions, JobResult

log = logging.getLogger("analyzer.monitor")

VARIABLES = (
    "dataset_format", "dataset_source", "output_path", "publish_cloudwatch_metrics", "sagemaker_endpoint_name",
    "sagemaker_monitoring_schedule_name", "start_time", "end_time", "baseline_constraints", "analysis_type",
    "problem_type", "inference_attribute", "probability_attribute", "probability_threshold_attribute",
    "features_attribute", "ground_truth_source",
)
MARKERS = ("dataset_format", "sagemaker_monitoring_schedule_name")


def monitor_variables(runtime: Runtime, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The Model Monitor variables that are set: processingjobconfig.json's Environment, then the
    process environment (which wins)."""
    environ = os.environ if environ is None else environ
    job = runtime.read_json(runtime.processing_job_config_path) or {}
    declared = job.get("Environment")
    if not isinstance(declared, dict):
        declared = {}
    found = {k: str(declared[k]) for k in VARIABLES if declared.get(k) not in (None, "")}
    found.update({k: environ[k] for k in VARIABLES if environ.get(k)})
    return found


def is_monitor_execution(variables: Mapping[str, str]) -> bool:
    return any(k in variables for k in MARKERS)


def _threshold(variables: Mapping[str, str]) -> float | None:
    text = variables.get("probability_threshold_attribute")
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"probability_threshold_attribute: '{text}' is not a number.") from None


def _dataset_format(variables: Mapping[str, str]) -> Any:
    text = variables.get("dataset_format")
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigError(f"dataset_format: not JSON: {text[:200]}") from None


@dataclass(frozen=True)
class MonitorExecution:
    variables: Mapping[str, str]
    runtime: Runtime

    @property
    def publish_metrics(self) -> bool:
        return self.variables.get("publish_cloudwatch_metrics", "Disabled").strip().lower() == "enabled"

    @property
    def output_dir(self) -> Path:
        return Path(self.variables.get("output_path") or self.runtime.output_dir)

    def ground_truth(self) -> str | None:
        if "ground_truth_source" in self.variables:
            return self.variables["ground_truth_source"]
        default = self.runtime.base_dir / "processing" / "input" / "groundtruth"
        return str(default) if default.is_dir() else None

    def job_options(self) -> JobOptions:
        from analyzer.capture import CaptureSource, TimeWindow
        from analyzer.job import JobOptions
        from analyzer.monitor.checks import parse_check_options

        v = self.variables
        log.info("Model Monitor execution. Variables used: %s", json.dumps(dict(sorted(v.items()))))
        log.info("dataset_format: %s", json.dumps(_dataset_format(v)))
        capture = CaptureSource(
            capture_uri=v.get("dataset_source") or str(self.runtime.base_dir / "processing" / "input" / "endpoint"),
            ground_truth_uri=self.ground_truth(),
            window=TimeWindow.parse(v.get("start_time"), v.get("end_time"), "start_time/end_time"),
            inference_attribute=v.get("inference_attribute"),
            probability_attribute=v.get("probability_attribute"),
            probability_threshold=_threshold(v),
            features_attribute=v.get("features_attribute"),
        )
        baseline = v.get("baseline_constraints")
        checks = parse_check_options(baseline_constraints=baseline) if baseline else None
        if checks is None:
            log.info("No baseline_constraints: the execution computes the metrics without drift checks.")
        return JobOptions(runtime=self.runtime, config_path=self.runtime.config_path, output_dir=self.output_dir,
                          capture=capture, checks=checks, monitor=True)

    def finish(self, result: JobResult) -> None:
        """After a successful execution: the CloudWatch metric lines, when publishing is enabled."""
        if not self.publish_metrics:
            log.info("publish_cloudwatch_metrics is not Enabled: no CloudWatch metrics written.")
            return
        from analyzer.capture import parse_instant
        from analyzer.monitor.cloudwatch import cloudwatch_metrics, write_metrics

        end = self.variables.get("end_time")
        metrics = cloudwatch_metrics(result.analysis, endpoint=self.variables.get("sagemaker_endpoint_name"),
                                     schedule=self.variables.get("sagemaker_monitoring_schedule_name"),
                                     timestamp=parse_instant(end, "end_time") if end else None)
        path = write_metrics(self.runtime.base_dir / "output" / "metrics" / "cloudwatch", metrics)
        log.info("Wrote %d CloudWatch metric(s) to %s", len(metrics), path)


def find_monitor_execution(runtime: Runtime) -> MonitorExecution | None:
    variables = monitor_variables(runtime)
    return MonitorExecution(variables, runtime) if is_monitor_execution(variables) else None
