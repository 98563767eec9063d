"""Checks run after the analyses: threshold rules (CI gates) and drift against a baseline.

The flow: :func:`parse_check_options` (CLI flags → rules; syntax and metric codes) →
:func:`prepare_checks` (against the loaded config, and the baseline read) before any data is
loaded → :func:`run_checks` on the finished analysis.json document (pure) → :class:`CheckResult`,
whose violations become ``constraint_violations.json`` and the message file.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from analyzer.errors import ConfigError
from analyzer.output import to_json_text
from analyzer.monitor.document import BiasEntry, bias_entries, global_shap, value_text
from analyzer.monitor.rules import Rule, metric_codes, parse_rule, read_rules_file
from analyzer.monitor.violations import (
    CHECK_TYPES,
    FAIL,
    NOT_CHECKED,
    PASS,
    THRESHOLD,
    Outcome,
    Violation,
    constraint_violations,
)

if TYPE_CHECKING:
    from analyzer.config import AnalysisConfig

log = logging.getLogger("analyzer.monitor")

#: Exit code of a CLI / docker run whose checks found violations (a CI step fails); a Model Monitor
#: execution exits 0 and reports them in the message file instead.
VIOLATIONS_EXIT_CODE = 1
VIOLATIONS_FILE = "constraint_violations.json"
DEFAULT_ATTRIBUTION_THRESHOLD = 0.9


@dataclass(frozen=True)
class CheckOptions:
    rules: tuple[Rule, ...] = ()
    baseline_constraints: str | None = None   # local path or s3:// URI of a previous analysis.json
    drift_tolerance: float = 0.0
    attribution_threshold: float = DEFAULT_ATTRIBUTION_THRESHOLD   # nDCG below it is a violation
    baseline: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)  # read by prepare_checks

    @property
    def requested(self) -> bool:
        return bool(self.rules) or self.baseline_constraints is not None


def parse_check_options(fail_on: Sequence[str] = (), thresholds: str | Path | None = None,
                        baseline_constraints: str | None = None, drift_tolerance: float = 0.0,
                        attribution_threshold: float = DEFAULT_ATTRIBUTION_THRESHOLD) -> CheckOptions:
    """Options from the CLI flags: rules parsed (``--fail-on`` first, then the ``--thresholds`` file,
    local or S3), numbers checked. ``ConfigError`` names the rule, file or flag."""
    rules = [parse_rule(text) for text in fail_on]
    if thresholds is not None:
        from analyzer.storage import fetch_one

        rules.extend(read_rules_file(fetch_one(thresholds, what="rules file"), str(thresholds)))
    if not (math.isfinite(drift_tolerance) and drift_tolerance >= 0):
        raise ConfigError(f"--drift-tolerance must be a number ≥ 0, not {drift_tolerance}.")
    if not 0 <= attribution_threshold <= 1:
        raise ConfigError(f"--attribution-threshold must be between 0 and 1 (nDCG), not {attribution_threshold}.")
    return CheckOptions(rules=tuple(rules), baseline_constraints=baseline_constraints,
                        drift_tolerance=drift_tolerance, attribution_threshold=attribution_threshold)


def _facet_names(config: AnalysisConfig) -> list[str] | None:
    """The configured facet names, or None when an index cannot be resolved before the data loads."""
    names = []
    for facet in config.facet:
        ref = facet.name_or_index
        if isinstance(ref, str):
            names.append(ref)
        elif config.headers is not None and 0 <= ref < len(config.headers):
            names.append(config.headers[ref])
        else:
            return None
    return names


def _check_rule(rule: Rule, config: AnalysisConfig, facets: list[str] | None) -> None:
    computed = {name: stage for stage, chosen in (("pre_training", config.methods.pre_training_bias),
                                                  ("post_training", config.methods.post_training_bias))
                for name in chosen or ()}
    if rule.metric not in computed:
        stage = metric_codes()[rule.metric]
        raise ConfigError(
            f"The rule {rule.text!r} checks {rule.metric}, which this config does not compute (add it to "
            f"methods.{stage}_bias). Computed metrics: {', '.join(sorted(computed)) or 'none'}; "
            f"valid codes: {', '.join(sorted(metric_codes()))}.")
    if rule.facet is not None and facets is not None and rule.facet not in facets:
        raise ConfigError(f"The rule {rule.text!r} names the facet {rule.facet!r}, which is not in the config's "
                          f"facet list: {', '.join(repr(f) for f in facets)}.")


def load_baseline(uri: str) -> dict[str, Any]:
    """The baseline analysis.json (local or S3): exit 3 when it cannot be read, 2 when it is not one."""
    from analyzer.storage import fetch_one

    path = fetch_one(uri, what="baseline constraints")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"The baseline constraints {uri} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"The baseline constraints {uri} is not an analysis.json document (not a JSON object).")
    entries, shap = bias_entries(document, uri), global_shap(document, uri)
    if not entries and not shap:
        raise ConfigError(f"The baseline constraints {uri} holds no bias metrics and no kernel_shap explanations "
                          "to compare against; give the analysis.json of a baselining job.")
    return document


def prepare_checks(options: CheckOptions, config: AnalysisConfig) -> CheckOptions:
    """Validate the rules against ``config`` and read the baseline: every problem is exit 2 (or 3
    for an unreadable baseline) before the dataset is loaded."""
    facets = _facet_names(config)
    for rule in options.rules:
        _check_rule(rule, config, facets)
    if options.baseline_constraints is not None and options.baseline is None:
        options = replace(options, baseline=load_baseline(options.baseline_constraints))
    return options


def threshold_outcomes(document: Mapping[str, Any], rules: Sequence[Rule]) -> list[Outcome]:
    """Each rule on every facet value it applies to; no matching value at all is "not checked"."""
    entries = bias_entries(document)
    outcomes = []
    for rule in rules:
        matching = [e for e in entries if e.metric == rule.metric and rule.applies_to(e.facet, e.facet_value)]
        if not matching:
            scope = f"{rule.facet}={rule.facet_value}" if rule.facet_value is not None else rule.facet or "any facet"
            outcomes.append(Outcome(THRESHOLD, f"{scope}, {rule.metric}", NOT_CHECKED,
                                    "No such facet value or metric in this analysis", rule.text))
        for entry in matching:
            outcomes.append(_threshold_outcome(rule, entry))
    return outcomes


def _threshold_outcome(rule: Rule, entry: BiasEntry) -> Outcome:
    value = entry.value
    if value is None:
        return Outcome(THRESHOLD, entry.subject, NOT_CHECKED, f"No value: {entry.error or 'null'}", rule.text)
    shown = value_text(entry.raw)
    if rule.holds(value):
        description = f"Metric value {shown} violates the rule {rule.text}"
        if rule.description:
            description += f": {rule.description}"
        violation = Violation(THRESHOLD, entry.metric, description, facet=entry.facet,
                              facet_value=entry.facet_value, rule=rule.text)
        return Outcome(THRESHOLD, entry.subject, FAIL, description, rule.text, violation)
    return Outcome(THRESHOLD, entry.subject, PASS, f"Value {shown}", rule.text)


@dataclass(frozen=True)
class CheckResult:
    outcomes: tuple[Outcome, ...] = ()

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(o.violation for o in self.outcomes if o.violation is not None)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def constraint_violations(self) -> dict[str, Any]:
        """The ``constraint_violations.json`` document (an empty list when nothing was violated)."""
        return constraint_violations(self.violations)

    def message(self) -> str | None:
        """``CompletedWithViolations: ...`` for the message file, or None without violations."""
        violations = self.violations
        if not violations:
            return None
        kinds = ", ".join(f"{n} {kind}" for kind in CHECK_TYPES
                          if (n := sum(v.check_type == kind for v in violations)))
        noun = "violation" if len(violations) == 1 else "violations"
        return (f"CompletedWithViolations: {len(violations)} {noun} ({kinds}) in {len(self.outcomes)} checks; "
                f"see {VIOLATIONS_FILE}")

    def summary(self) -> str:
        return (f"{len(self.outcomes)} checks: {self.count(PASS)} passed, {self.count(FAIL)} failed, "
                f"{self.count(NOT_CHECKED)} not checked")


def run_checks(document: Mapping[str, Any], options: CheckOptions) -> CheckResult:
    """Every requested check on ``document`` (the analysis.json dict). Reads the baseline when
    :func:`prepare_checks` has not."""
    document = json.loads(to_json_text(document))  # exactly what analysis.json holds ("Infinity", no numpy)
    outcomes = threshold_outcomes(document, options.rules)
    if options.baseline_constraints is not None or options.baseline is not None:
        from analyzer.monitor.drift import drift_outcomes

        baseline = options.baseline
        if baseline is None:
            baseline = load_baseline(options.baseline_constraints)  # type: ignore[arg-type]
        outcomes.extend(drift_outcomes(document, baseline, options.drift_tolerance, options.attribution_threshold))
    return CheckResult(tuple(outcomes))


def log_result(result: CheckResult) -> None:
    """The log lists every violation, and every check that could not be made."""
    log.info("Checks: %s", result.summary())
    for outcome in result.outcomes:
        if outcome.status == FAIL:
            log.warning("Violation (%s) %s: %s", outcome.check_type, outcome.subject, outcome.detail)
        elif outcome.status == NOT_CHECKED:
            log.info("Not checked (%s) %s: %s", outcome.check_type, outcome.subject, outcome.detail)
