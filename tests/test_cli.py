"""The CLI end to end: good configs produce Clarify's analysis.json; every user mistake ends with one
clear message naming the key/column/file, a distinct non-zero exit, the message file, no analysis.json."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.errors import AnalysisError, ConfigError, DataError, StorageError
from analyzer.runtime import SUCCESS_MESSAGE

DATA = """s,y,p,x
F,yes,yes,1
F,no,no,2
F,no,yes,3
F,no,no,4
M,yes,yes,5
M,yes,no,6
M,no,no,7
M,yes,yes,8
M,no,no,9
M,yes,yes,10
"""
GOOD = {"dataset_type": "text/csv", "label": "y", "predicted_label": "p", "label_values_or_threshold": ["yes"],
        "facet": [{"name_or_index": "s", "value_or_threshold": ["F"]}],
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}


def _metric(section: dict, facet: str, name: str, index: int = 0):
    metrics = section["facets"][facet][index]["metrics"]
    return next(m for m in metrics if m["name"] == name)


def test_good_config_writes_clarify_analysis_json(run_job) -> None:
    result = run_job(GOOD, DATA)
    assert result.code == 0, result.stderr
    analysis = result.analysis
    assert list(analysis) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]
    pre = analysis["pre_training_bias_metrics"]
    assert list(pre) == ["label", "facets", "label_value_or_threshold"]
    assert pre["label"] == "y" and pre["label_value_or_threshold"] == "yes"
    assert pre["facets"]["s"][0]["value_or_threshold"] == "F"
    # Hand-worked: d = F (4 rows, 1 positive), a = M (6 rows, 4 positive).
    assert _metric(pre, "s", "CI") == {"name": "CI", "description": "Class Imbalance (CI)", "value": pytest.approx(0.2)}
    assert _metric(pre, "s", "DPL")["value"] == pytest.approx(4 / 6 - 1 / 4)
    assert _metric(pre, "s", "CDDL")["error"] == "Group variable is empty or not provided"
    post = analysis["post_training_bias_metrics"]
    assert [m["name"] for m in post["facets"]["s"][0]["metrics"]] == sorted(
        ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"])
    assert _metric(post, "s", "DPPL")["value"] == pytest.approx(0.0)
    assert _metric(post, "s", "DI")["value"] == pytest.approx(1.0)
    assert result.message == SUCCESS_MESSAGE
    assert json.loads((result.output / "analysis_config.json").read_text()) == GOOD
    assert not list(result.output.glob(".staging-*"))
    for line in ("Starting SageMaker Clarify Processing job", "This host is the leader.",
                 "Number of hosts in the cluster is 1.", "Calculating post-training bias metrics",
                 "Calculating pre-training bias metrics", "exit_message: " + SUCCESS_MESSAGE):
        assert line in result.stderr


def test_identical_input_gives_byte_identical_output(run_job) -> None:
    first = run_job(GOOD, DATA)
    text = (first.output / "analysis.json").read_bytes()
    second = run_job(GOOD, DATA)
    assert second.code == 0 and (second.output / "analysis.json").read_bytes() == text


def test_one_vs_rest_and_scores_thresholded(run_job) -> None:
    data = "s,y,score\n" + "A,1,0.9\nB,0,0.2\nC,1,0.7\nA,0,0.4\nB,1,0.8\nC,0,0.1\n" * 5
    config = {**GOOD, "label": "y", "predicted_label": "score", "label_values_or_threshold": [1],
              "label_data_type": "categorical", "facet": [{"name_or_index": "s"}], "probability_threshold": 0.75}
    result = run_job(config, data)
    assert result.code == 0, result.stderr
    facets = result.analysis["post_training_bias_metrics"]["facets"]["s"]
    assert [f["value_or_threshold"] for f in facets] == ["A", "B", "C"]
    assert "We assume a prediction above 0.750 indicates 1" in result.stderr


def test_monitor_style_config_with_flags(run_job) -> None:
    config = {"label": "y", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "s"}]}
    result = run_job(config, DATA, "--dataset-type", "text/csv", "--methods", "pre_training_bias")
    assert result.code == 0, result.stderr
    assert list(result.analysis) == ["version", "pre_training_bias_metrics"]


def test_explicit_paths_override_processing_defaults(tmp_path: Path, capsys) -> None:
    (tmp_path / "c.json").write_text(json.dumps({**GOOD, "methods": {"pre_training_bias": {"methods": ["CI"]}}}))
    (tmp_path / "d.csv").write_text(DATA)
    code = main(["run", "--config", str(tmp_path / "c.json"), "--data", str(tmp_path / "d.csv"),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((tmp_path / "out" / "analysis.json").read_text())["pre_training_bias_metrics"]
    assert [m["name"] for m in metrics["facets"]["s"][0]["metrics"]] == ["CI"]
    assert (tmp_path / "ml" / "output" / "message").read_text() == SUCCESS_MESSAGE


def test_validate_command(tmp_path: Path, capsys) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(GOOD))
    bad.write_text(json.dumps({**GOOD, "lable": 1, "dataset_type": "csv"}))
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(bad)]) == ConfigError.exit_code
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "Did you mean 'label'?" in err and "$.dataset_type" in err


def _with_predictions(value: str) -> str:
    lines = DATA.splitlines()
    return "\n".join([lines[0]] + [",".join(r.split(",")[:2] + [value] + r.split(",")[3:]) for r in lines[1:]]) + "\n"


def _bad(config=GOOD, data=DATA, **changes):
    cfg = config if isinstance(config, str) else {**config, **changes}
    return cfg, data


BAD_CASES = {
    # name: ((config, data), exit code, text that must appear in the message)
    "not-json": (("{not json", DATA), ConfigError.exit_code, "Unable to load analysis configuration as JSON."),
    "top-level-list": (("[1, 2]", DATA), ConfigError.exit_code, "the top level must be a JSON object"),
    "unknown-key": (_bad(lable="y"), ConfigError.exit_code, "unknown key 'lable'. Did you mean 'label'?"),
    "bad-dataset-type": (_bad(dataset_type="text/tsv"), ConfigError.exit_code, "$.dataset_type: 'text/tsv' is not valid"),
    "no-label-values": (_bad(label_values_or_threshold=[]), ConfigError.exit_code, "$.label_values_or_threshold"),
    "no-facet": (_bad(facet=[]), ConfigError.exit_code, "$.facet: required"),
    "bad-metric": (_bad(methods={"pre_training_bias": {"methods": ["CI", "XYZ"]}}), ConfigError.exit_code, "'XYZ'"),
    "no-predictor": (_bad(predicted_label=None), ConfigError.exit_code, "$.predictor: required"),
    "jsonl-no-features": (_bad(dataset_type="application/jsonlines"), ConfigError.exit_code, "$.features: required"),
    "wrong-type": (_bad(probability_threshold="high"), ConfigError.exit_code, "$.probability_threshold"),
    "label-missing": (_bad(label="income"), ConfigError.exit_code, "label: column 'income' not found"),
    "facet-missing": (_bad(facet=[{"name_or_index": "sex"}]), ConfigError.exit_code,
                      "facet[0].name_or_index: column 'sex' not found"),
    "group-missing": (_bad(group_variable="grp"), ConfigError.exit_code, "group_variable: column 'grp' not found"),
    "excluded-out-of-range": (_bad(excluded_columns=[9]), ConfigError.exit_code, "excluded_columns: index 9 is out of range"),
    "bad-jmespath": (_bad(dataset_type="application/jsonlines", features="features[", label="y"),
                     ConfigError.exit_code, "features: 'features[' is not a valid JMESPath expression"),
    "time-series-with-bias": (_bad(time_series_data_config={"target_time_series": 1, "item_id": 0, "timestamp": 2},
                         dataset_type="application/json", features="f"),
                    ConfigError.exit_code, "time_series_data_config: runs only methods.asymmetric_shapley_value"),
    "headers-count": (_bad(headers=["s", "y", "p"]), ConfigError.exit_code, "rows have 4 columns but 'headers'"),
    "empty-csv": (_bad(data=""), DataError.exit_code, "The dataset has no rows"),
    "dataset-uri-missing": (_bad(dataset_uri="/nonexistent/data.csv"), DataError.exit_code,
                            "/nonexistent/data.csv: no such file or directory"),
    "jsonl-bad-line": (_bad(dataset_type="application/jsonlines", features="f", label="y", predicted_label="p",
                            data='{"f": [1], "y": "yes", "p": "yes"}\nnot json\n'),
                       DataError.exit_code, "line 2: not valid JSON"),
    "malformed-csv": (_bad(data='s,y,p,x\nF,yes,"yes,1\n'), DataError.exit_code, "Cannot parse"),
    "pred-dataset-missing": (_bad(predicted_label=None, predicted_label_dataset_uri="/nonexistent/pred.csv"),
                             DataError.exit_code, "predicted label dataset /nonexistent/pred.csv: no such file"),
    "all-predictions-negative": (_bad(data=_with_predictions("no")),
                                 AnalysisError.exit_code, "No Label values are present in the predicted Label Column"),
    "prediction-type-mismatch": (_bad(data=DATA.replace("yes,yes", "yes,1").replace("no,no", "no,0")
                                      .replace("no,yes", "no,1").replace("yes,no", "yes,0")),
                                 AnalysisError.exit_code, "Predicted Label Column series datatype is not the same"),
    "continuous-facet-text-threshold": (_bad(facet=[{"name_or_index": "x", "value_or_threshold": ["high"]}],
                                             methods={"pre_training_bias": {"methods": "all"}}),
                                        AnalysisError.exit_code,
                                        "Facet/label value provided must be a single numeric threshold"),
    "continuous-facet-no-threshold": (_bad(facet=[{"name_or_index": "x"}], methods={"pre_training_bias": {"methods": "all"}}),
                                      AnalysisError.exit_code, "Threshold values must be provided for continuous"),
}


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_user_mistake_fails_cleanly(name: str, run_job) -> None:
    (config, data), code, text = BAD_CASES[name]
    if isinstance(config, dict):
        config = {k: v for k, v in config.items() if v is not None}
    result = run_job(config, data)
    assert result.code == code, result.stderr
    assert text in result.message, result.message
    assert result.message.startswith("ClientError: ")
    assert len(result.message.encode()) <= 1024
    assert text in result.stderr and "Traceback" not in result.stderr
    assert not (result.output / "analysis.json").exists()
    assert not list(result.output.glob(".staging-*")) if result.output.exists() else True


def test_missing_config_file(base_dir: Path, capsys) -> None:
    assert main([]) == ConfigError.exit_code
    message = (base_dir / "output" / "message").read_text()
    assert "Analysis config not found" in message and "analysis_config.json" in message


def test_unwritable_output(run_job, base_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_job(GOOD, DATA, "--output", str(blocker / "out"))
    assert result.code == StorageError.exit_code
    assert "Cannot create the output directory" in result.message


def test_internal_error_writes_message_and_distinct_code(run_job, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr("analyzer.job.analyse", boom)
    result = run_job(GOOD, DATA)
    assert result.code == 70
    assert result.message == "AlgorithmError: internal error: ZeroDivisionError: bug"
    assert not (result.output / "analysis.json").exists()


def test_python_dash_m_with_no_arguments_behaves_like_the_container(base_dir: Path) -> None:
    (base_dir / "processing" / "input" / "config" / "analysis_config.json").write_text(json.dumps(GOOD))
    (base_dir / "processing" / "input" / "data" / "part-1.csv").write_text(DATA)
    env = {**os.environ, "ANALYZER_BASE_DIR": str(base_dir)}
    proc = subprocess.run([sys.executable, "-m", "analyzer"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (base_dir / "processing" / "output" / "analysis.json").exists()
    assert (base_dir / "output" / "message").read_text() == SUCCESS_MESSAGE


def test_non_leader_host_exits_cleanly_without_output(run_job, base_dir: Path) -> None:
    (base_dir / "config").mkdir()
    (base_dir / "config" / "resourceconfig.json").write_text(
        json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]}))
    result = run_job(GOOD, DATA)
    assert result.code == 0
    assert "This host is algo-2." in result.stderr and "not the leader" in result.stderr
    assert not (result.output / "analysis.json").exists()


def test_processing_job_config_names_the_job_in_the_log(run_job, base_dir: Path) -> None:
    (base_dir / "config").mkdir()
    (base_dir / "config" / "processingjobconfig.json").write_text(json.dumps({"ProcessingJobName": "Clarify-Bias-1"}))
    result = run_job(GOOD, DATA)
    assert result.code == 0
    assert "Processing job: Clarify-Bias-1" in result.stderr
