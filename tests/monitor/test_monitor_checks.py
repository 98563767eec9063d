"""Checks on an analysis document: threshold outcomes, validation against the config, the baseline file,
the result's violations file and message."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from analyzer.config.build import build_config
from analyzer.errors import ConfigError, DataError
from analyzer.monitor import CheckOptions, parse_check_options, parse_rule, prepare_checks, run_checks
from analyzer.monitor.checks import CheckResult, load_baseline, threshold_outcomes
from analyzer.monitor.violations import FAIL, NOT_CHECKED, PASS
from monitor_fixtures import document, metric

DOC = document(
    post={"Sex": {"Female": [metric("DI", 0.62), metric("DPPL", -0.2), metric("TE", "Infinity")],
                  "Male": [metric("DI", 1.3), metric("DPPL", 0.05), metric("TE", None, "Facet set is empty.")]},
          "Race": {"Black": [metric("DI", 0.9), metric("DPPL", 0.12), metric("TE", 0.4)]}},
    pre={"Sex": {"Female": [metric("CDDL", 0.08), metric("CI", 0.3)],
                 "Male": [metric("CDDL", None, "Group variable is empty or not provided"), metric("CI", -0.3)]}})


def _statuses(rule: str) -> list[tuple[str, str]]:
    return [(o.subject, o.status) for o in threshold_outcomes(DOC, [parse_rule(rule)])]


def test_unscoped_rule_checks_every_facet_value() -> None:
    assert _statuses("DI<0.8") == [("Sex = Female, DI (post-training)", FAIL), ("Sex = Male, DI (post-training)", PASS),
                                   ("Race = Black, DI (post-training)", PASS)]
    assert _statuses("abs(DPPL)>0.1") == [("Sex = Female, DPPL (post-training)", FAIL),
                                          ("Sex = Male, DPPL (post-training)", PASS),
                                          ("Race = Black, DPPL (post-training)", FAIL)]


def test_facet_and_facet_value_scopes() -> None:
    assert _statuses("Race:abs(DPPL)>0.1") == [("Race = Black, DPPL (post-training)", FAIL)]
    assert _statuses("Sex=Male:DI>1.25") == [("Sex = Male, DI (post-training)", FAIL)]
    assert _statuses("Sex=Female:CI>=0.3") == [("Sex = Female, CI (pre-training)", FAIL)]


def test_infinity_and_null_values() -> None:
    outcomes = threshold_outcomes(DOC, [parse_rule("Sex:TE>10")])
    assert [(o.status, o.detail) for o in outcomes] == [
        (FAIL, "Metric value Infinity violates the rule Sex:TE>10"),
        (NOT_CHECKED, "No value: Facet set is empty.")]
    null = threshold_outcomes(DOC, [parse_rule("Sex=Male:CDDL>0.05")])
    assert [(o.status, o.violation) for o in null] == [(NOT_CHECKED, None)]   # never silently passed


def test_a_rule_matching_nothing_is_not_checked() -> None:
    outcomes = threshold_outcomes(DOC, [parse_rule("Sex=Other:DI<0.8")])
    assert [(o.subject, o.status) for o in outcomes] == [("Sex=Other, DI", NOT_CHECKED)]


def test_violation_object_and_description() -> None:
    rule = parse_rule("Sex=Female:DI<0.8", description="Four-fifths rule")
    [outcome] = threshold_outcomes(DOC, [rule])
    assert outcome.violation.to_json() == {
        "facet": "Sex", "facet_value": "Female", "metric_name": "DI", "constraint_check_type": "threshold_check",
        "description": "Metric value 0.62 violates the rule Sex=Female:DI<0.8: Four-fifths rule",
        "rule": "Sex=Female:DI<0.8"}


def test_run_checks_reads_the_document_as_analysis_json_holds_it() -> None:
    # In memory a job's document may hold numpy numbers and float infinities.
    in_memory = document({"s": {"a": [metric("DI", np.float64(0.5)), metric("TE", math.inf),
                                       metric("AD", np.int64(0))]}})
    result = run_checks(in_memory, CheckOptions(rules=(parse_rule("DI<0.8"), parse_rule("TE>1"),
                                                      parse_rule("AD<1"))))
    assert [o.status for o in result.outcomes] == [FAIL, FAIL, FAIL]
    assert [v.description for v in result.violations] == [
        "Metric value 0.5 violates the rule DI<0.8", "Metric value Infinity violates the rule TE>1",
        "Metric value 0 violates the rule AD<1"]


def test_result_file_and_message() -> None:
    result = run_checks(DOC, CheckOptions(rules=(parse_rule("DI<0.8"), parse_rule("abs(DPPL)>0.1"))))
    assert result.constraint_violations()["version"] == "1.0"
    assert len(result.constraint_violations()["violations"]) == 3
    assert result.message() == ("CompletedWithViolations: 3 violations (3 threshold_check) in 6 checks; "
                                "see constraint_violations.json")
    assert result.summary() == "6 checks: 3 passed, 3 failed, 0 not checked"
    clean = run_checks(DOC, CheckOptions(rules=(parse_rule("DI<0.1"),)))
    assert clean.message() is None and clean.constraint_violations() == {"version": "1.0", "violations": []}
    assert CheckResult().message() is None


def test_message_counts_each_check_type(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(document({"Sex": {"Female": [metric("DI", 0.9)]}})))
    result = run_checks(DOC, CheckOptions(rules=(parse_rule("Sex=Female:DI<0.8"),),
                                          baseline_constraints=str(baseline)))
    assert result.message().startswith("CompletedWithViolations: 2 violations (1 threshold_check, "
                                       "1 bias_drift_check) in ")


CONFIG = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
          "headers": ["Sex", "Race", "y", "p"], "predicted_label": "p",
          "facet": [{"name_or_index": "Sex"}, {"name_or_index": 1}],
          "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}, "post_training_bias": {"methods": "all"}}}


def test_prepare_checks_accepts_computed_metrics_and_known_facets() -> None:
    options = parse_check_options(["DI<0.8", "Sex=F:CI>0.5", "Race:abs(DPL)>0.1"])
    assert prepare_checks(options, build_config(CONFIG)) == options   # facet 1 resolves to "Race" via headers


def test_prepare_checks_rejects_a_metric_the_config_does_not_compute() -> None:
    with pytest.raises(ConfigError) as caught:
        prepare_checks(parse_check_options(["abs(KL)>0.1"]), build_config(CONFIG))
    message = caught.value.message
    assert "'abs(KL)>0.1'" in message and "methods.pre_training_bias" in message
    assert "Computed metrics: AD, CDDPL, CI" in message and "valid codes: AD, CDDL" in message


def test_prepare_checks_rejects_an_unknown_facet() -> None:
    with pytest.raises(ConfigError, match=r"'Age=40:DI<0.8' names the facet 'Age'.*'Sex', 'Race'"):
        prepare_checks(parse_check_options(["Age=40:DI<0.8"]), build_config(CONFIG))


def test_facet_indexes_without_headers_are_checked_later() -> None:
    config = build_config({**CONFIG, "headers": None, "facet": [{"name_or_index": 0}]} | {})
    options = parse_check_options(["Anything:DI<0.8"])
    assert prepare_checks(options, config) == options


def test_parse_check_options_numbers_and_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--drift-tolerance"):
        parse_check_options(drift_tolerance=-0.1)
    with pytest.raises(ConfigError, match="--attribution-threshold"):
        parse_check_options(attribution_threshold=1.5)
    rules = tmp_path / "rules.yaml"
    rules.write_text("- rule: DI<0.8\n  description: four fifths\n")
    options = parse_check_options(["abs(DPPL)>0.1"], rules)
    assert [r.text for r in options.rules] == ["abs(DPPL)>0.1", "DI<0.8"]
    assert options.requested and not CheckOptions().requested
    with pytest.raises(DataError, match="missing.yaml"):
        parse_check_options(thresholds=tmp_path / "missing.yaml")


def test_baseline_file_problems(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.json"):
        load_baseline(str(tmp_path / "nope.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match=f"{bad} is not valid JSON"):
        load_baseline(str(bad))
    empty = tmp_path / "empty.json"
    empty.write_text('{"version": "1.0"}')
    with pytest.raises(ConfigError, match="holds no bias metrics and no kernel_shap"):
        load_baseline(str(empty))
    shaped = tmp_path / "shaped.json"
    shaped.write_text('{"post_training_bias_metrics": {"facets": {"Sex": {"value": 1}}}}')
    with pytest.raises(ConfigError, match=f"{shaped} is not an analysis.json document"):
        load_baseline(str(shaped))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(DOC))
    options = prepare_checks(CheckOptions(baseline_constraints=str(good)), build_config(CONFIG))
    assert options.baseline == DOC
