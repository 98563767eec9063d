"""``analyzer validate`` reports whatever ``analyzer run`` refuses from the config alone, with the
same message (issue 12 item 4): one function, analyzer.support.refusals, serves both."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.config import parse_config
from analyzer.support import refusals

CSV_DATA = "y,x,z,s\n" + "".join(f"{i % 2},{i},{i * 3 % 7},{'ab'[i % 3 == 0]}\n" for i in range(40))
BIAS = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "s"}]}
SHAP = {"shap": {"baseline": [[1, 2]], "num_samples": 4}}
URL = "http://127.0.0.1:9/invocations"

REFUSED = {
    "time series request without the target": {
        "dataset_type": "application/json", "headers": ["item_id", "timestamp", "target"],
        "time_series_data_config": {"target_time_series": 2, "item_id": 0, "timestamp": 1},
        "methods": {"asymmetric_shapley_value": {"direction": "chronological"}},
        "predictor": {"endpoint_url": URL, "content_template": "{\"instances\": $record}",
                      "record_template": "{\"start\": $start_time}",
                      "time_series_predictor_config": {"forecast": "predictions.mean"}}},
    "time series with bias": {"dataset_type": "application/json", **BIAS, "headers": ["item_id", "timestamp", "y"],
                              "time_series_data_config": {"target_time_series": 2, "item_id": 0, "timestamp": 1},
                              "methods": {"asymmetric_shapley_value": {}, "pre_training_bias": {"methods": "all"}},
                              "predictor": {"endpoint_url": URL,
                                            "time_series_predictor_config": {"forecast": "predictions.mean"}}},
    "image config on a table": {"dataset_type": "text/csv", "label": "y",
                                "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
                                "predictor": {"endpoint_url": URL}},
    "image model in process": {"dataset_type": "application/x-image",
                               "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION",
                                                                     "feature_extraction_method": "pixels"}}},
                               "predictor": {"in_process": True, "model_data": "model.joblib"}},
    "object detector in process": {"dataset_type": "application/x-image",
                                   "methods": {"shap": {"image_config": {"model_type": "OBJECT_DETECTION"}}},
                                   "predictor": {"in_process": True, "model_data": "model.joblib"}},
    "forecaster in process": {"dataset_type": "application/json", "headers": ["item_id", "timestamp", "target"],
                              "time_series_data_config": {"target_time_series": 2, "item_id": 0, "timestamp": 1},
                              "methods": {"asymmetric_shapley_value": {"direction": "chronological"}},
                              "predictor": {"in_process": True, "model_data": "model.joblib",
                                            "time_series_predictor_config": {"forecast": "predictions.mean"}}},
    "image segments": {"dataset_type": "application/x-image",
                       "segment_config": [{"name_or_index": "s", "segments": [["a"]]}],
                       "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
                       "predictor": {"endpoint_url": URL}},
    "image with a tabular model request": {"dataset_type": "application/x-image",
                                           "methods": {"shap": {"image_config": {"model_type": "OBJECT_DETECTION"}}},
                                           "predictor": {"endpoint_url": URL, "accept_type": "text/csv"}},
    "image dataset": {"dataset_type": "application/x-image", **BIAS,
                      "methods": {"pre_training_bias": {"methods": "all"}}},
    "unknown placeholder": {"dataset_type": "text/csv", **BIAS, "headers": ["y", "x", "z", "s"],
                            "methods": {"post_training_bias": {"methods": ["DPPL"]}},
                            "predictor": {"endpoint_url": URL, "content_type": "application/json",
                                          "record_template": "{\"x\": \"${x}\", \"w\": \"${w}\"}"}},
    "placeholder is the label": {"dataset_type": "text/csv", **BIAS, "headers": ["y", "x", "z", "s"],
                                 "methods": {"post_training_bias": {"methods": ["DPPL"]}},
                                 "predictor": {"endpoint_url": URL, "content_type": "application/json",
                                               "record_template": "{\"label\": \"${y}\"}"}},
    "jsonl placeholder is the label": {"dataset_type": "application/jsonlines", **BIAS, "features": "f",
                                       "label": "y", "headers": ["x", "z", "s", "y"],
                                       "methods": {"post_training_bias": {"methods": ["DPPL"]}},
                                       "predictor": {"endpoint_url": URL, "content_type": "application/json",
                                                     "record_template": "{\"a\": \"${y}\"}"}},
    "mixed placeholders": {"dataset_type": "text/csv", "label": "y", "methods": SHAP,
                           "predictor": {"endpoint_url": URL, "content_type": "application/json",
                                         "record_template": "{\"a\": \"${x}\", \"all\": $features}"}},
    "records in jsonlines": {"dataset_type": "text/csv", "label": "y", "methods": SHAP,
                             "predictor": {"endpoint_url": URL, "content_type": "application/jsonlines",
                                           "content_template": "{\"instances\": $records}"}},
    "no records in json": {"dataset_type": "text/csv", "label": "y", "methods": SHAP,
                           "predictor": {"endpoint_url": URL, "content_type": "application/json",
                                         "content_template": "{\"instances\": $features}"}},
    "empty features_to_explain": {"dataset_type": "text/csv", "label": "y",
                                  "methods": {"shap": {**SHAP["shap"], "features_to_explain": []}},
                                  "predictor": {"endpoint_url": URL}},
    "object content_template": {"dataset_type": "text/csv", "label": "y", "methods": SHAP,
                                "predictor": {"endpoint_url": URL, "content_type": "application/json",
                                              "content_template": {"instances": "$records"}}},
    "npy requests": {"dataset_type": "text/csv", "label": "y", "methods": SHAP,
                     "predictor": {"endpoint_url": URL, "content_type": "application/x-npy"}},
}


def _run(tmp_path: Path, config: dict) -> tuple[int, str]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "data.csv").write_text(CSV_DATA)
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.csv"),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "opt_ml")])
    return code, (tmp_path / "opt_ml" / "output" / "message").read_text()


def _validate(tmp_path: Path, config: dict, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(["validate", str(tmp_path / "config.json")])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_validate_reports_what_run_refuses_with_the_same_message(tmp_path: Path, capsys, name: str):
    config = REFUSED[name]
    problems = refusals(parse_config(config))
    assert problems, "a config run refuses must have a refusal"
    code, message = _run(tmp_path, config)
    assert code == 2 and message == "ClientError: " + " ".join(problems)
    assert not (tmp_path / "out" / "analysis.json").exists()
    code, printed = _validate(tmp_path, config, capsys)
    assert code == 2
    for problem in problems:
        assert f"  - {problem}" in printed


def test_placeholder_message_is_the_one_run_gives_after_loading_the_data(tmp_path: Path):
    problems = refusals(parse_config(REFUSED["unknown placeholder"]))
    assert problems == ["predictor.record_template: placeholder(s) ${w} name no feature; features are: x, z, s."]


def test_unreadable_dataset_type_refusal_names_it():
    problems = refusals(parse_config(REFUSED["image dataset"]))
    assert problems[0].startswith("dataset_type: application/x-image is not supported by this analyzer")


def test_image_explanations_are_not_refused():
    config = {"dataset_type": "application/x-image",
              "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
              "predictor": {"endpoint_url": URL, "content_type": "image/png", "label_headers": ["cat", "dog"]}}
    assert refusals(parse_config(config)) == []


def test_capture_json_is_read_now_and_not_refused():
    config = {"dataset_type": "application/sagemakercapturejson", **BIAS,
              "methods": {"pre_training_bias": {"methods": "all"}}}
    assert refusals(parse_config(config)) == []


@pytest.mark.parametrize("config", [
    {"dataset_type": "text/csv", **BIAS, "methods": {"pre_training_bias": {"methods": "all"}}},
    {"dataset_type": "text/csv", **BIAS, "headers": ["y", "x", "z", "s"],
     "methods": {"post_training_bias": {"methods": ["DPPL"]}},
     "predictor": {"endpoint_url": URL, "content_type": "application/json",
                   "record_template": "{\"x\": \"${x}\", \"z\": \"${z}\", \"s\": \"${s}\"}"}},
    # without headers only the data can tell which features exist: nothing to refuse yet
    {"dataset_type": "text/csv", "label": "y", "methods": SHAP,
     "predictor": {"endpoint_url": URL, "content_type": "application/json",
                   "record_template": "{\"x\": \"${x}\"}"}},
])
def test_runnable_configs_have_no_refusals(tmp_path: Path, capsys, config: dict):
    assert refusals(parse_config(config)) == []
    assert _validate(tmp_path, config, capsys)[0] == 0


def test_validate_checks_model_requests_without_pandas_or_numpy(tmp_path: Path) -> None:
    """`analyzer validate` on a config with a model checks its request/response codecs (a bad
    template is still reported) without importing pandas, numpy or boto3: it stays fast."""
    config = {"dataset_type": "text/csv", "label": "y", "headers": ["a", "b", "y"], "label_values_or_threshold": [1],
              "methods": {"shap": {"baseline": [[1, 2]]}, "post_training_bias": {"methods": "all"}},
              "facet": [{"name_or_index": "a"}],
              "predictor": {"endpoint_url": "http://127.0.0.1:1/x", "content_type": "application/json",
                            "record_template": '{"x":"${a}"', "accept_type": "application/jsonlines",
                            "label": "predicted_label", "probability": "score"}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    code = ("import sys; from analyzer.cli import main; status = main(['validate', sys.argv[1]]); "
            "heavy = [m for m in ('pandas', 'numpy', 'boto3') if m in sys.modules]; "
            "print('HEAVY', heavy); sys.exit(status)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 2 and "not valid JSON" in result.stdout + result.stderr
