"""Command line: ``analyzer [run] [flags]`` (the container's default) and ``analyzer validate FILE``.

This is the only place that catches errors: it logs the message, writes the message file that
SageMaker reads, and exits with the error's code. Internal bugs exit 70 with the message file too.
"""
from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from analyzer.cluster import leading
from analyzer import signals
from analyzer.config import DEFAULT_SECTIONS, apply_overrides, read_config_file, validate
from analyzer.errors import INTERNAL_ERROR_EXIT_CODE, AnalysisError, AnalyzerError, ConfigError, Interrupted
from analyzer.redact import RedactingFilter, redact
from analyzer.runtime import Runtime
from analyzer.storage import is_s3_uri, publish, scratch_session

if TYPE_CHECKING:
    from analyzer.capture import CaptureSource
    from analyzer.distributed import ScaleSettings
    from analyzer.job import JobOptions, JobResult
    from analyzer.monitor import CheckOptions

log = logging.getLogger("analyzer")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _run_parser(prog: str = "analyzer run") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the analysis. With no flags it behaves like the Clarify processing container: "
                    "config from <base>/processing/input/config/analysis_config.json, data from dataset_uri "
                    "or <base>/processing/input/data, results to <base>/processing/output (base = /opt/ml).")
    parser.add_argument("--config", type=Path, help="analysis_config.json (default: the processing input)")
    parser.add_argument("--data", help="dataset file, directory, s3:// object or prefix; overrides dataset_uri and "
                                       "the processing input")
    parser.add_argument("--output", help="output directory, or an s3:// prefix that receives the results only when "
                                         "the job succeeded, analysis.json last (default: <base>/processing/output)")
    parser.add_argument("--base-dir", help="re-root /opt/ml (also env ANALYZER_BASE_DIR)")
    parser.add_argument("--dataset-type", help="dataset_type for partial (monitor-style) configs without one")
    parser.add_argument("--methods", default="",
                        help="comma-separated sections to add when the config has none: "
                             + ", ".join(DEFAULT_SECTIONS))
    capture = parser.add_argument_group("captured traffic (SageMaker Model Monitor data capture)")
    capture.add_argument("--capture", help="capture files (directory or s3:// prefix, yyyy/mm/dd/hh layout) to "
                                           "analyse instead of a dataset")
    capture.add_argument("--ground-truth", help="ground-truth files joined to the capture on inferenceId/eventId")
    capture.add_argument("--start-time", help="ISO 8601 start of the window on inferenceTime (inclusive)")
    capture.add_argument("--end-time", help="ISO 8601 end of the window on inferenceTime (exclusive)")
    capture.add_argument("--inference-attribute", help="the predicted label in the captured output: a CSV column "
                                                       "index or a JMESPath (default: predictor.label)")
    capture.add_argument("--probability-attribute", help="the score in the captured output (default: "
                                                         "predictor.probability)")
    capture.add_argument("--probability-threshold-attribute", type=float,
                         help="score threshold for the predicted label (default: probability_threshold)")
    gates = parser.add_argument_group(
        "checks", "fail the run (exit 1) when the result breaks a rule or drifts from a baseline; the "
                  "violations go to constraint_violations.json")
    gates.add_argument("--fail-on", action="append", default=[], metavar="RULE",
                       help="[FACET[=VALUE]:]METRIC OP NUMBER, violated when it holds, e.g. 'DI<0.8', "
                            "'abs(DPPL)>0.1', 'Sex=Female:CDDL>0.05' (repeatable)")
    gates.add_argument("--thresholds", metavar="FILE", help="JSON or YAML list of rules (strings or "
                                                            "{rule, description}), local or s3://")
    gates.add_argument("--baseline-constraints", metavar="PATH", help="a previous analysis.json (local or s3://) "
                                                                      "to check bias and attribution drift against")
    gates.add_argument("--drift-tolerance", type=float, default=0.0, metavar="X",
                       help="bias drift is a violation only when the distance from neutral grows by more than X")
    gates.add_argument("--attribution-threshold", type=float, default=0.9, metavar="X",
                       help="attribution drift: nDCG below X is a violation (default 0.9)")
    parser.add_argument("--chunk-rows", help="read the dataset in chunks of this many rows (bias, Kernel SHAP, PDP): a "
                        "number, 'auto' (default: datasets over 64 MiB) or 'off' (also env ANALYZER_CHUNK_ROWS)")
    scale = parser.add_argument_group(
        "scale-out (Dask)", "predictions, SHAP and PDP on Dask workers: an existing cluster, or the hosts of a "
                            "multi-host job (see README, 'Scaling out')")
    scale.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786 (also env "
                                                               "ANALYZER_DASK_SCHEDULER)")
    for flag, metavar, text in (("--dask-workers", "N", "worker processes per host of a multi-host job (default: "
                                                         "CPU count, at most one per GiB of memory)"),
                                ("--dask-threads", "N", "threads per worker process (default 1)"),
                                ("--dask-chunk-rows", "N", "records per task (default: about 4 tasks per worker "
                                                           "thread)"),
                                ("--dask-in-flight", "N", "model requests each worker keeps in flight (default: "
                                                          "the predictor's max_concurrency)"),
                                ("--dask-lost-timeout", "S", "wait at most S seconds for the scheduler, and fail "
                                                             "after S seconds without any worker (default 60)")):
        scale.add_argument(flag, metavar=metavar, help=f"{text}; env ANALYZER_{flag[2:].upper().replace('-', '_')}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def _capture_source(args: argparse.Namespace) -> CaptureSource | None:
    if not args.capture:
        if args.ground_truth or args.start_time or args.end_time:
            raise ConfigError("--ground-truth, --start-time and --end-time need --capture.")
        return None
    from analyzer.capture import CaptureSource, TimeWindow  # here: `validate` need not import pandas

    return CaptureSource(args.capture, args.ground_truth, TimeWindow.parse(args.start_time, args.end_time),
                         args.inference_attribute, args.probability_attribute, args.probability_threshold_attribute)


def _has_job_flags(args: argparse.Namespace) -> bool:
    """Flags that describe the job themselves; without any, Model Monitor's environment may."""
    return any((args.config, args.data, args.output, args.capture, args.dataset_type, args.methods,
                args.fail_on, args.thresholds, args.baseline_constraints))


def _check_options(args: argparse.Namespace) -> CheckOptions | None:
    """The checks the flags ask for (None when none: no constraint_violations.json is written)."""
    if not (args.fail_on or args.thresholds or args.baseline_constraints):
        return None
    from analyzer.monitor import parse_check_options

    return parse_check_options(args.fail_on, args.thresholds, args.baseline_constraints,
                               args.drift_tolerance, args.attribution_threshold)


def _scale_settings(args: argparse.Namespace) -> ScaleSettings:
    from analyzer.distributed import scale_settings  # no dask import: that happens only if a cluster is used

    return scale_settings({"scheduler": args.scheduler, "workers": args.dask_workers, "threads": args.dask_threads,
                           "chunk_rows": args.dask_chunk_rows, "in_flight": args.dask_in_flight,
                           "lost_timeout": args.dask_lost_timeout})


def _validate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analyzer validate",
                                     description="Check a config; print every problem, exit 0 when valid.")
    parser.add_argument("config", type=Path)
    parser.add_argument("--dataset-type", help="as for run")
    parser.add_argument("--methods", default="", help="as for run")
    return parser


def _methods(text: str) -> tuple[str, ...]:
    return tuple(m.strip() for m in text.split(",") if m.strip())


#: Third-party loggers stay at INFO with -v: their debug output (request headers, bodies) is noise
#: at best and carries credentials at worst (every line is redacted anyway).
QUIET_LIBRARIES = ("botocore", "boto3", "s3transfer", "urllib3", "docker", "matplotlib", "fontTools",
                   "weasyprint", "PIL")


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)


def failure_message(kind: str, message: str) -> str:
    """The message file's text: ``<kind>: <reason>``, redacted. The first line names what and where
    on its own (SageMaker shows it as FailureReason); details may follow on later lines."""
    return redact(f"{kind}: {message.strip()}")


def _fail(runtime: Runtime, kind: str, message: str) -> None:
    text = failure_message(kind, message)
    log.error("%s", text)
    runtime.write_message(text)


def cmd_validate(argv: Sequence[str]) -> int:
    args = _validate_parser().parse_args(argv)
    try:
        raw = apply_overrides(read_config_file(args.config), dataset_type=args.dataset_type,
                              methods=_methods(args.methods))
    except ConfigError as exc:
        print(redact(exc.message), file=sys.stderr)
        return exc.exit_code
    problems = validate(raw)
    if not problems:  # valid for Clarify; now what `run` would refuse from the config alone
        from analyzer.config import parse_config
        from analyzer.support import refusals

        try:
            problems = refusals(parse_config(raw))
        except ConfigError as exc:
            problems = [exc.message]
    if problems:
        print(redact(f"{args.config}: {len(problems)} problem(s)"), file=sys.stderr)
        for problem in problems:
            print(redact(f"  - {problem}"), file=sys.stderr)
        return ConfigError.exit_code
    print(f"{args.config}: valid")
    return 0


def _job_options(args: argparse.Namespace, runtime: Runtime, output_dir: Path) -> JobOptions:
    """The job ``analyzer run``'s flags ask for."""
    from analyzer.job import JobOptions

    return JobOptions(
        runtime=runtime,
        config_path=args.config or runtime.config_path,
        output_dir=output_dir,
        data_uri=args.data,
        dataset_type=args.dataset_type,
        methods=_methods(args.methods),
        capture=_capture_source(args),
        checks=_check_options(args),
        chunk_rows=args.chunk_rows,
        scale=_scale_settings(args),
    )


def cmd_run(argv: Sequence[str]) -> int:
    from analyzer.job import run_job  # here: `validate` need not import the job's stages
    from analyzer.monitor import find_monitor_execution

    args = _run_parser().parse_args(argv)
    _configure_logging(args.verbose)
    runtime = Runtime.from_env(args.base_dir)
    output_uri = args.output if is_s3_uri(args.output) else None
    previous = signals.install()
    try:
        signals.check()  # a stop that arrived while the modules loaded, and was swallowed there
        # One scratch area per job for S3 downloads and S3-bound outputs, removed whatever happens.
        with scratch_session() as scratch, leading(runtime):  # other hosts wait for this leader
            monitor = None if _has_job_flags(args) else find_monitor_execution(runtime)
            options = monitor.job_options() if monitor else _job_options(
                args, runtime, scratch / "output" if output_uri else Path(args.output or runtime.output_dir))
            result = run_job(options, final=output_uri is None)
            if monitor:
                monitor.finish(result)  # CloudWatch metric files
            written = [str(p) for p in result.outputs]
            if output_uri and result.outputs:  # upload only a finished result (see analyzer.storage.publish)
                signals.check()
                written = publish(options.output_dir, output_uri)
                signals.finish()
    except (AnalyzerError, Interrupted) as exc:
        _fail(runtime, exc.kind, exc.message)
        return exc.exit_code
    except MemoryError:
        _fail(runtime, "ClientError", "out of memory: the job needs more memory than this machine has; use a "
                                      "larger instance, fewer rows, or smaller methods.shap.num_samples / "
                                      "methods.pdp.grid_resolution.")
        return AnalysisError.exit_code
    except Exception as exc:  # a bug: keep the traceback for us, a one-line reason for the user
        if signals.received() is not None:  # no bug: a stop that a library turned into another error
            stop = Interrupted(signals.message(signals.received()))  # type: ignore[arg-type]
            _fail(runtime, stop.kind, stop.message)
            return stop.exit_code
        log.error("Internal error (please report it): %s\n%s", exc, traceback.format_exc())
        reason = str(exc).splitlines()[0][:300] if str(exc).strip() else ""
        _fail(runtime, "AlgorithmError", f"internal error: {type(exc).__name__}: {reason}")
        return INTERNAL_ERROR_EXIT_CODE
    finally:
        signals.restore(previous)
    log.info("exit_message: %s", result.message)
    runtime.write_message(result.message)
    if result.outputs:
        print(_verdict_text(result, written))
    if result.checks is not None and result.checks.violations and not options.monitor:
        from analyzer.monitor import VIOLATIONS_EXIT_CODE

        return VIOLATIONS_EXIT_CODE  # a CI step fails; Model Monitor reads the message instead
    return 0


def _verdict_text(result: JobResult, written: Sequence[str]) -> str:
    """The short verdict and where the results are: what a person reads at the end of a run."""
    from analyzer.report import Verdict, render_text

    names = [(w.rsplit("/", 1)[-1], w) for w in written]
    paths = [("analysis.json", w) for name, w in names if name == "analysis.json"]
    paths += [("report", w) for name, w in names if name.endswith(".html")]
    return render_text(result.verdict or Verdict(), paths)


COMMANDS = {"run": cmd_run, "validate": cmd_validate}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    if argv and argv[0] in ("-h", "--help"):
        print("usage: analyzer [run] [--config FILE] [--data PATH] [--output DIR] [--base-dir DIR] ...\n"
              "       analyzer validate FILE\n\nRun 'analyzer run --help' for the flags.")
        return 0
    return cmd_run(argv)


if __name__ == "__main__":
    sys.exit(main())
