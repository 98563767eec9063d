"""The one orchestration: config → dataset → predictions → analyses → outputs, in that order."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from analyzer import signals
from analyzer.config import AnalysisConfig, load_config, shown_config, shown_parsed
from analyzer.data import Dataset, load_dataset
from analyzer.distributed import follow_leader, on_cluster, scaled_out, sharded_analysis
from analyzer.errors import Interrupted
from analyzer.output import OutputWriter, to_json_text
from analyzer.runtime import SUCCESS_MESSAGE, Runtime
from analyzer.stages import chunk_setting, model_session, run_bias, with_predicted_labels
from analyzer.support import check_runnable

if TYPE_CHECKING:  # the heavy stages are imported when a job needs them: the first log line comes fast
    from analyzer.bias import BiasResult
    from analyzer.capture import CaptureSource
    from analyzer.distributed import Cluster, ScaleSettings
    from analyzer.monitor import CheckOptions, CheckResult
    from analyzer.report import ReportContext, Verdict
    from analyzer.stages import Explained

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
    chunk_rows: str | None = None         # --chunk-rows: auto, off or rows (analyzer.stages.chunked)
    scale: ScaleSettings | None = None    # Dask knobs (None: from the environment)


@dataclass
class JobResult:
    analysis: dict[str, Any]
    outputs: list[Path] = field(default_factory=list)
    message: str = SUCCESS_MESSAGE
    report_error: str | None = None     # why the human-readable reports were not (all) written
    verdict: Verdict | None = None      # the short console summary of the result
    checks: CheckResult | None = None


@dataclass
class Analysis:
    """The in-memory result every output is written from."""

    document: dict[str, Any]
    dataset: Dataset                          # with the predicted labels when post-training ran
    explanations: Explained | None = None
    bias: tuple[BiasResult, ...] = ()         # the bias sections with their group statistics
    rows: int | None = None                   # rows of the data when ``dataset`` holds none (read in chunks)


def analyse(config: AnalysisConfig, dataset: Dataset, cluster: Cluster | None = None) -> Analysis:
    """Every requested analysis, in Clarify's order: the model (shadow endpoint) is used for
    post-training predictions and explanations, and released before the pre-training metrics.
    With a Dask ``cluster`` the model is called from its workers."""
    methods = config.methods
    post = pre = explained = None
    with model_session(config, dataset) as leader, on_cluster(cluster, leader, config, dataset) as predictor:
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
    bias = tuple(result for result in (post, pre) if result is not None)
    for result in bias:
        document[result.key] = result.section
    if explained is not None:
        document["explanations"] = explained.section()
    if config.segment_config:
        from analyzer.segments import SECTION_KEY, segment_section

        document[SECTION_KEY] = segment_section(
            config, dataset, lambda subset, stage, names: run_bias(config, subset, stage, names).section, explained)
    return Analysis(document=document, dataset=dataset, explanations=explained, bias=bias)


def _analyse_data(config: AnalysisConfig, uri: str | Path, options: JobOptions, hosts: list[str],
                  writer: OutputWriter) -> Analysis:
    """The analysis of the dataset at ``uri``: read whole, or in chunks (analyzer.stages.chunked)."""
    from analyzer.bias import TooManyDistinct
    from analyzer.stages import MixedTypes, check_fits, chunk_plan, on_dask, run_chunked, run_streamed

    knob = chunk_setting(options.chunk_rows)   # a bad knob fails before any data is read
    plan = None
    try:
        if on_dask(options.scale, hosts):   # the Dask workers read the data themselves
            sharded = sharded_analysis(config, uri, options.scale, hosts, knob, writer)
            if sharded is not None:
                document, bias, explained, layout, rows = sharded
                return Analysis(document=document, dataset=layout, explanations=explained, bias=bias, rows=rows)
        plan = chunk_plan(config, uri, knob)
        if plan.rows is not None and not config.methods.needs_explanations:
            done = run_chunked(config, uri, plan)
            return Analysis(document=done.document(), dataset=done.layout, bias=done.bias, rows=done.rows)
        if plan.rows is not None and not on_dask(options.scale, hosts):   # SHAP, PDP (and bias) in chunks
            doc, bias, part = run_streamed(config, uri, plan, writer)
            return Analysis(document=doc, dataset=part.dataset, explanations=part, bias=bias, rows=part.rows)
    except (TooManyDistinct, MixedTypes) as exc:  # counts as large as the rows, or types the chunks cannot tell
        log.warning("Reading the dataset whole after all: %s.", exc)
    plan = plan or chunk_plan(config, uri, "off")
    if plan.files:
        check_fits(config, plan.files)   # a dataset this machine cannot hold fails now, not in an OOM kill
    dataset = load_dataset(config, uri, plan.files)
    with scaled_out(options.scale, hosts, config, dataset) as cluster:
        return analyse(config, dataset, cluster)


def _time_series(config: AnalysisConfig, options: JobOptions, job_config: dict | None) -> Analysis:
    from analyzer.stages import run_time_series

    result = run_time_series(config, config.dataset_uri or options.runtime.data_dir, options.output_dir, job_config)
    return Analysis(document={"version": "1.0", "explanations": result.section()}, dataset=result.dataset,
                    explanations=result)


def _write_explanations(writer: OutputWriter, explained: Any, hosts: int) -> None:
    """Tabular local SHAP values of a multi-host job go in Clarify's part files; the rest as on one host."""
    from analyzer.stages import ExplanationResult

    if hosts > 1 and isinstance(explained, ExplanationResult):
        explained.write(writer, parts=hosts)
    else:
        explained.write(writer)


def _report_context(config: AnalysisConfig, analysis: Analysis) -> ReportContext:
    """The report's inputs, from the analysis result only (the reports and the verdict share it)."""
    from analyzer.report import build_context, config_summary

    explained = analysis.explanations
    kernel = explained.explanation.kernel_shap if explained else None
    context = build_context(
        config_summary(shown_parsed(config), analysis.bias), analysis.bias,
        rows=analysis.rows if analysis.rows is not None else len(analysis.dataset.frame),
        features=len(analysis.dataset.features),
        local_shap=explained.local_values() if explained else None,
        local_features=explained.dataset.feature_frame() if explained else None,
        shap_warnings=kernel.warnings if kernel else (),
    )
    context = replace(context, time_series=getattr(explained, "time_series", None),  # forecasts: their own section
                      **getattr(explained, "report_locals", dict)())   # read in chunks: the rows the chart draws
    images = getattr(explained, "report_images", None)  # image explanations: heat maps for the report
    return replace(context, images=images()) if images else context


def _write_reports(writer: OutputWriter, config: AnalysisConfig, analysis: Analysis,
                   checks: CheckResult | None = None) -> tuple[str | None, ReportContext | None]:
    """Stage the notebook/HTML/PDF reports; return (problem, the context they were built from). A
    report problem is logged and returned, never raised: people may want the reports, but
    analysis.json must not be lost for them."""
    context = None
    if config.methods.needs_bias:
        log.info("Calculating bias statistics for report")   # Clarify's log line before its report
    try:
        from analyzer.report import write_reports

        context = _report_context(config, analysis)
        if checks is not None:
            context = replace(context, checks=checks.outcomes)
        write_reports(writer, analysis.document, context, config.methods.report.name, config.methods.report.title)
    except Interrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - any report failure, including bugs, is reported the same way
        signals.check()  # a stop that a library turned into another error is still a stop
        log.warning("The report was not written: %s: %s", type(exc).__name__, exc, exc_info=True)
        return f"{type(exc).__name__}: {exc}"[:300], context
    return None, context


def _log_collected(output_dir: Path, document: dict[str, Any]) -> None:
    """Clarify's log readers look for this line; the document itself is the file (and the debug log)."""
    log.info("Collected analyses: written to %s", output_dir / "analysis.json")
    if log.isEnabledFor(logging.DEBUG):
        log.debug("Collected analyses: \n%s", to_json_text(document))


def _verdict(analysis: Analysis, context: ReportContext | None) -> Verdict | None:
    """The console verdict, from the same context as the report; a bug here costs only the verdict."""
    try:
        from analyzer.report import assess

        return assess(analysis.document, context)
    except Exception as exc:  # noqa: BLE001 - the results are written; a summary problem must not fail the job
        log.warning("No verdict: %s: %s", type(exc).__name__, exc, exc_info=True)
        return None


def _publish(writer: OutputWriter, final: bool) -> list[Path]:
    """Move the staged outputs into place, unless a stop was requested; a stop that arrives while
    they move takes them back out. With ``final`` the job is complete once they are in place."""
    signals.check()
    with signals.deferred():
        outputs = writer.commit()
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
        log.info("The leader (%s) runs the analysis; this host lends it Dask workers.", hosts[0])
        if job_config is not None:   # exiting first would make SDK local mode stop the leader (analyzer.cluster)
            follow_leader(hosts[0], host, options.scale)
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
        if config.time_series_data_config is not None:   # forecasting models: their own reader and game
            analysis = _time_series(config, options, job_config)
        elif options.capture is not None:
            from analyzer.capture import load_capture

            analysis = analyse(config, load_capture(config, options.capture))
        else:
            analysis = _analyse_data(config, config.dataset_uri or runtime.data_dir, options, hosts, writer)
        if analysis.explanations is not None:
            _write_explanations(writer, analysis.explanations, len(hosts))
        writer.write_json("analysis.json", analysis.document)
        writer.write_json("analysis_config.json", shown_config(config.raw))  # no credentials in outputs
        checks = _run_checks(writer, analysis.document, check_options)
        report_error, context = _write_reports(writer, config, analysis, checks)
        outputs = _publish(writer, final)
    except BaseException:
        writer.discard()
        raise
    _log_collected(options.output_dir, analysis.document)
    log.info("Analysis finished in %.1f s", time.monotonic() - started)
    message = (checks.message() if checks is not None else None) or SUCCESS_MESSAGE
    if report_error:
        message = f"{message} (report not written: {report_error})"
    return JobResult(analysis=analysis.document, outputs=outputs, report_error=report_error, message=message,
                     checks=checks, verdict=_verdict(analysis, context))


def _run_checks(writer: OutputWriter, document: dict[str, Any], options: CheckOptions | None) -> CheckResult | None:
    """Check the result; constraint_violations.json is staged with the other outputs whenever checks ran."""
    if options is None:
        return None
    from analyzer.monitor import VIOLATIONS_FILE, log_result, run_checks

    result = run_checks(document, options)
    log_result(result)
    writer.write_json(VIOLATIONS_FILE, result.constraint_violations())
    return result
