"""The CLI as a CI gate: --fail-on / --thresholds / --baseline-constraints end to end: exit code, message
file, constraint_violations.json, the report's Checks section and the log; bad rules fail before any work."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import pytest

import analyzer.cli
import analyzer.job
from analyzer.cli import main
from analyzer.job import JobOptions
from analyzer.runtime import SUCCESS_MESSAGE
from test_cli import DATA, GOOD  # the same hand-worked frame and config as the CLI tests

# Hand-worked on DATA (d = F: 4 rows, 1 positive label, 2 positive predictions; a = M: 6 rows, 4 and 3):
# CI = (n_a - n_d) / n = 0.2; DPL = 4/6 - 1/4 = 0.41667;
# DPPL = 3/6 - 2/4 = 0; DI = (2/4) / (3/6) = 1.
CONFIG = GOOD


def _violations(result) -> list[dict]:
    return json.loads((result.output / "constraint_violations.json").read_text())["violations"]


def _report(result) -> str:
    return (result.output / "report.html").read_text()


def test_violated_rule_exits_1_with_violations_file_message_report_and_log(run_job) -> None:
    result = run_job(CONFIG, DATA, "--fail-on", "DPL>0.4", "--fail-on", "s=F:abs(DPPL)>0.1",
                     "--fail-on", "CDDL>0")
    assert result.code == 1, result.stderr
    assert result.analysis["pre_training_bias_metrics"]   # the analysis itself is complete
    assert _violations(result) == [{
        "facet": "s", "facet_value": "F", "metric_name": "DPL", "constraint_check_type": "threshold_check",
        "description": "Metric value 0.41666666666666663 violates the rule DPL>0.4", "rule": "DPL>0.4"}]
    assert result.message == ("CompletedWithViolations: 1 violation (1 threshold_check) in 3 checks; "
                              "see constraint_violations.json")
    assert "Violation (threshold_check) s = F, DPL (pre-training): Metric value 0.41666666666666663" in result.stderr
    assert "Not checked (threshold_check) s = F, CDDL (pre-training)" in result.stderr
    report = _report(result)
    assert '<section id="checks">' in report
    assert "3 checks: 1 passed, 1 failed" in report and "1 not checked" in report
    assert "<td>s=F:abs(DPPL)&gt;0.1</td><td>pass</td>" in report.replace(' class=""', "")
    assert not list(result.output.glob(".staging-*"))


def test_rules_that_hold_nowhere_exit_0_with_an_empty_violations_file(run_job) -> None:
    result = run_job(CONFIG, DATA, "--fail-on", "DI<0.8", "--fail-on", "abs(DPL)>0.5")
    assert result.code == 0, result.stderr
    assert json.loads((result.output / "constraint_violations.json").read_text()) == {"version": "1.0",
                                                                                     "violations": []}
    assert result.message == SUCCESS_MESSAGE


def test_no_checks_no_violations_file(run_job) -> None:
    result = run_job(CONFIG, DATA)
    assert result.code == 0 and not (result.output / "constraint_violations.json").exists()
    assert '<section id="checks">' not in _report(result)


@pytest.mark.parametrize(("rule", "expected"), [
    ("DI=0.8", "Cannot parse the rule 'DI=0.8'"),
    ("XY<1", "Unknown metric 'XY' in the rule 'XY<1'. Valid metric codes: AD, CDDL"),
    ("s=F:KL>", "Cannot parse the rule 's=F:KL>'"),
])
def test_bad_rules_exit_2_before_any_work(run_job, rule: str, expected: str) -> None:
    result = run_job(CONFIG, None, "--fail-on", rule, "--data", "/nonexistent/data.csv")
    assert result.code == 2, result.stderr
    assert expected in result.message and result.message.startswith("ClientError: ")
    assert "Traceback" not in result.stderr
    assert not (result.output / "analysis.json").exists()


def test_rules_the_config_cannot_answer_exit_2_before_the_data_loads(run_job) -> None:
    pre_only = {**CONFIG, "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}}}
    result = run_job(pre_only, None, "--fail-on", "DI<0.8", "--data", "/nonexistent/data.csv")
    assert result.code == 2
    assert "The rule 'DI<0.8' checks DI, which this config does not compute" in result.message
    assert "Computed metrics: CI, DPL" in result.message
    result = run_job(pre_only, None, "--fail-on", "Race:CI>0.1", "--data", "/nonexistent/data.csv")
    assert result.code == 2 and "names the facet 'Race'" in result.message
    assert "Reading" not in result.stderr and not (result.output / "analysis.json").exists()


@pytest.mark.slow
def test_thresholds_file_and_baseline_drift(run_job, tmp_path: Path) -> None:
    first = run_job(CONFIG, DATA)
    baseline = tmp_path / "baseline-analysis.json"
    baseline.write_text((first.output / "analysis.json").read_text())
    rules = tmp_path / "gates.yaml"
    rules.write_text("- rule: 's=F:DPPL>0.2'\n  description: predictions favour M\n")
    # Two F rows turn into negative predictions: DPPL = 3/6 - 0/4 = 0.5 (baseline 0), DI = 0 (baseline 1).
    drifted = DATA.replace("F,no,yes,3", "F,no,no,3").replace("F,yes,yes,1", "F,yes,no,1")
    second = run_job(CONFIG, drifted, "--thresholds", str(rules), "--baseline-constraints", str(baseline))
    assert second.code == 1, second.stderr
    violations = _violations(second)
    assert violations[0] == {"facet": "s", "facet_value": "F", "metric_name": "DPPL",
                             "constraint_check_type": "threshold_check",
                             "description": "Metric value 0.5 violates the rule s=F:DPPL>0.2: predictions favour M",
                             "rule": "s=F:DPPL>0.2"}
    drift = {v["metric_name"]: v["description"] for v in violations[1:]}
    assert all(v["constraint_check_type"] == "bias_drift_check" for v in violations[1:])
    assert drift["DPPL"] == "Metric value 0.5 doesn't meet the baseline constraint requirement 0.0"
    assert drift["DI"] == "Metric value 0.0 doesn't meet the baseline constraint requirement 1.0"
    assert "DPL" not in drift and "CI" not in drift    # labels unchanged: pre-training bias did not drift
    assert second.message.startswith(f"CompletedWithViolations: {len(violations)} violations (1 threshold_check, "
                                     f"{len(violations) - 1} bias_drift_check)")
    assert "Bias drift against the baseline" in _report(second)
    # The same data against its own baseline: nothing drifts.
    third = run_job(CONFIG, DATA, "--baseline-constraints", str(baseline))
    assert third.code == 0 and _violations(third) == []


def test_bad_baseline_names_it(run_job, tmp_path: Path) -> None:
    missing = run_job(CONFIG, DATA, "--baseline-constraints", str(tmp_path / "none.json"))
    assert missing.code == 3 and "none.json" in missing.message
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = run_job(CONFIG, DATA, "--baseline-constraints", str(bad))
    assert result.code == 2 and str(bad) in result.message
    assert not (result.output / "analysis.json").exists()


def test_model_monitor_execution_exits_0_with_violations(run_job, monkeypatch) -> None:
    monkeypatch.setattr(analyzer.job, "JobOptions", functools.partial(JobOptions, monitor=True))  # cli imports it late
    result = run_job(CONFIG, DATA, "--fail-on", "DPL>0.4")
    assert result.code == 0
    assert result.message.startswith("CompletedWithViolations: 1 violation")
    assert len(_violations(result)) == 1


@pytest.mark.slow
def test_adult_gate_end_to_end(datasets: Path, tmp_path: Path, capsys) -> None:
    """UCI Adult (16,281 rows): DPL for Sex=Female computed here with pandas decides the gate."""
    data = datasets / "adult" / "adult_test.csv"
    frame = pd.read_csv(data)
    positive = frame["Target"].str.strip().str.rstrip(".") == ">50K"
    female = frame["Sex"] == "Female"
    dpl = positive[~female].mean() - positive[female].mean()
    assert 0.15 < dpl < 0.25
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps({"dataset_type": "text/csv", "label": "Target",
                                  "label_values_or_threshold": [">50K", ">50K."],
                                  "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
                                  "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]},
                                              "report": {"name": "report"}}}))
    common = ["run", "--config", str(config), "--data", str(data), "--base-dir", str(tmp_path / "ml")]
    code = main([*common, "--output", str(tmp_path / "fail"), "--fail-on", "Sex=Female:abs(DPL)>0.1"])
    assert code == 1, capsys.readouterr().err
    [violation] = json.loads((tmp_path / "fail" / "constraint_violations.json").read_text())["violations"]
    assert violation["facet_value"] == "Female" and violation["metric_name"] == "DPL"
    shown = float(violation["description"].split()[2])
    assert shown == pytest.approx(dpl, rel=1e-9)
    code = main([*common, "--output", str(tmp_path / "pass"), "--fail-on", f"DPL>{dpl + 0.01:.4f}",
                 "--fail-on", "abs(CI)>0.9"])
    assert code == 0
    assert json.loads((tmp_path / "pass" / "constraint_violations.json").read_text())["violations"] == []
