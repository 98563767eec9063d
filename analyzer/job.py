"""The one orchestration: config → dataset → predictions → analyses → outputs, in that order."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from analyzer import signals
from analyzer.cluster import follow
from analyzer.config import AnalysisConfig, load_config
from analyzer.config.loader import shown_config
from analyzer.data import Dataset, load_dataset
from analyzer.errors import Interrupted
from analyzer.output import OutputWriter, to_json_text
from analyzer.runtime import SUCCESS_MESSAGE, Runtime
from analyzer.stages import model_session, run_bias, with_predicted_labels
from analyzer.support import check_runnable

if TYPE_CHECKING:  # the heavy stages are imported when a job needs them: the first log line comes fast
    from analyzer.capture import CaptureSource
    from analyzer.monitor import CheckOptions, CheckResult
    from analyzer.stages import ExplanationResult

log = logging.getLogger("sagemaker-clarify-processing")


@dataclass(frozen=True)
class JobOptions:
    runtime: Runtime
    config_path: Path
    output_dir: Path
    data_uri: str | None = None
    dataset_type: str | None = None
    methods: Sequence[str] = ()
    capture: CaptureSource | None = None   # captured traffic (+ ground truth) instead of a dataset
    checks: CheckOptions | None = None    # threshold rules and/or a baseline to check the result against
    monitor: bool = False                 # a Model Monitor execution: violations go to the message, exit 0


@dataclass
class JobResult:
    analysis: dict[str, Any]
    outputs: list[Path] = field(default_factory=list)
    message: str = SUCCESS_MESSAGE
    report_error: str | None = None     # why the human-readable reports were not (all) written
    checks: CheckResult | None = None


@dataclass
class Analysis:
    """The in-memory result every output is written from."""

    document: dict[str, Any]
    dataset: Dataset                          # with the predicted labels when post-training ran
    explanations: ExplanationResult | None = None


def analyse(config: AnalysisConfig, dataset: Dataset) -> Analysis:
    """Every requested analysis, in Clarify's order: the model (shadow endpoint) is used for
    post-training predictions and explanations, and released before the pre-training metrics."""
    methods = config.methods
    post = pre = explained = None
    with model_session(config, dataset) as predictor:
        if methods.post_training_bias is not None:
            log.info("Calculating post-training bias metrics")
            dataset = with_predicted_labels(config, dataset, predictor)
            post = run_bias(config, dataset, "post_training", methods.post_training_bias)
        if methods.needs_explanations:
            from analyzer.stages import run_explanations

            assert predictor is not None  # model_session opens one whenever explanations are requested
            explained = run_explanations(config, dataset, predictor)
    if methods.pre_training_bias is not None:
        log.info("Calculating pre-training bias metrics")
        pre = run_bias(config, dataset, "pre_training", methods.pre_training_bias)
    document: dict[str, Any] = {"version": "1.0"}
    for key, section in (("post_training_bias_metrics", post), ("pre_training_bias_metrics", pre)):
        if section is not None:
            document[key] = section
    if explained is not None:
        document["explanations"] = explained.section()
    if config.segment_config:
        from analyzer.segments import SECTION_KEY, segment_section

        document[SECTION_KEY] = segment_section(
            config, dataset, lambda subset, stage, names: run_bias(config, subset, stage, names), explained)
    return Analysis(document=document, dataset=dataset, explanations=explained)


def _shown(config: AnalysisConfig) -> AnalysisConfig:
    """The config as reports may show it: no credentials in the endpoint URL, no custom attributes."""
    from analyzer.redact import redact

    predictor = config.predictor
    if predictor is None:
        return config
    url = redact(predictor.endpoint_url) if predictor.endpoint_url else None
    return replace(config, raw=shown_config(config.raw),
                   predictor=replace(predictor, endpoint_url=url, custom_attributes=None))


def _write_reports(writer: OutputWriter, config: AnalysisConfig, analysis: Analysis,
                   checks: CheckResult | None = None) -> str | None:
    """Stage the notebook/HTML/PDF reports. A report problem is logged and returned, never raised:
    people may want the reports, but analysis.json must not be lost for them."""
    try:
        from analyzer.report import build_context, write_reports

        if config.methods.needs_bias:
            log.info("Calculating bias statistics for report")
        dataset = analysis.dataset
        labels = dataset.frame[dataset.predicted_label] if dataset.predicted_label else None
        explained = analysis.explanations
        context = build_context(
            _shown(config), dataset, predicted_labels=labels,
            local_shap=explained.local_values() if explained else None,
            local_features=dataset.feature_frame() if explained else None,
            shap_warnings=explained.explanation.kernel_shap.warnings
            if explained and explained.explanation.kernel_shap else (),
        )
        if checks is not None:
            context = replace(context, checks=checks.outcomes)
        write_reports(writer, analysis.document, context, config.methods.report.name, config.methods.report.title)
    except Interrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - any report failure, including bugs, is reported the same way
        log.warning("The report was not written: %s: %s", type(exc).__name__, exc, exc_info=True)
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def _publish(writer: OutputWriter, final: bool) -> list[Path]:
    """Move the staged outputs into place, unless a stop was requested; a stop that arrives while
    they move takes them back out. With ``final`` the job is complete once they are in place."""
    signals.check()
    with signals.deferred():
        outputs = _publish(writer, final)
        if signals.received() is not None:
            writer.retract(outputs)
        elif final:
            signals.finish()
    return outputs


def run_job(options: JobOptions, final: bool = True) -> JobResult:
    started = time.monotonic()
    runtime = options.runtime
    log.info("Starting SageMaker Clarify Processing job")
    log.info("Analysis config path: %s", options.config_path)
    log.info("Analysis result path: %s", options.output_dir)
    job_config = runtime.read_json(runtime.processing_job_config_path)  # present inside a processing job
    if job_config is not None:
        log.info("Processing job: %s", job_config.get("ProcessingJobName", "(unnamed)"))
    host, hosts = runtime.cluster()
    log.info("This host is %s.", host)
    if host != hosts[0]:
        log.info("This host is not the leader. Number of hosts in the cluster is %d.", len(hosts))
        log.info("The leader (%s) computes the analysis; nothing to do on this host.", hosts[0])
        if job_config is not None:
            follow(hosts[0])   # exiting first would make SDK local mode stop the leader (analyzer.cluster)
        return JobResult(analysis={}, message="Completed: not the leader host; the leader wrote the results")
    log.info("This host is the leader.")
    log.info("Number of hosts in the cluster is %d.", len(hosts))

    if options.capture is not None:
        from analyzer.capture import load_capture_config

        config = load_capture_config(options.config_path, options.methods)
    else:
        config = load_config(options.config_path, dataset_type=options.dataset_type, methods=options.methods,
                             dataset_uri=options.data_uri)
    check_runnable(config)   # the refusals `analyzer validate` reports too
    check_options = None
    if options.checks is not None:  # bad rules or baseline fail here, before any data is read
        from analyzer.monitor import prepare_checks

        check_options = prepare_checks(options.checks, config)
    writer = OutputWriter(options.output_dir)
    try:
        log.info("Running Python / Pandas based analyzer.")
        if options.capture is not None:
            from analyzer.capture import load_capture

            dataset = load_capture(config, options.capture)
        else:
            dataset = load_dataset(config, config.dataset_uri or runtime.data_dir)
        analysis = analyse(config, dataset)
        if analysis.explanations is not None:
            analysis.explanations.write(writer)
        writer.write_json("analysis.json", analysis.document)
        writer.write_json("analysis_config.json", shown_config(config.raw))  # no credentials in outputs
        checks = _run_checks(writer, analysis.document, check_options)
        report_error = _write_reports(writer, config, analysis, checks)
        outputs = writer.commit()
    except BaseException:
        writer.discard()
        raise
    log.info("Collected analyses: \n%s", to_json_text(analysis.document))
    log.info("Analysis finished in %.1f s", time.monotonic() - started)
    message = (checks.message() if checks is not None else None) or SUCCESS_MESSAGE
    if report_error:
        message = f"{message} (report not written: {report_error})"
    return JobResult(analysis=analysis.document, outputs=outputs, report_error=report_error, message=message,
                     checks=checks)


def _run_checks(writer: OutputWriter, document: dict[str, Any], options: CheckOptions | None) -> CheckResult | None:
    """Check the result; constraint_violations.json is staged with the other outputs whenever checks ran."""
    if options is None:
        return None
    from analyzer.monitor import VIOLATIONS_FILE, log_result, run_checks

    result = run_checks(document, options)
    log_result(result)
    writer.write_json(VIOLATIONS_FILE, result.constraint_violations())
    return result
