"""The whole job with predictions from a model: post-training bias through the CLI, the model
served by the example server (as Clarify does with a shadow endpoint)."""
from __future__ import annotations

import json
from pathlib import Path

from analyzer.cli import main
from predictor_servers import adult_frame


def test_post_training_bias_with_predictions_from_the_model(tmp_path: Path, model_server: str):
    data = tmp_path / "adult.csv"
    adult_frame(500).to_csv(data, index=False)
    config = {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
              "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
              "methods": {"pre_training_bias": {"methods": ["CI"]}, "post_training_bias": {"methods": ["DPPL", "DI"]}},
              "predictor": {"endpoint_url": f"{model_server}/invocations", "accept_type": "application/jsonlines",
                            "label": "predicted_label", "probability": "score"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(data), "--output",
                 str(tmp_path / "out"), "--base-dir", str(tmp_path / "opt_ml")])
    assert code == 0
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    metrics = analysis["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]
    assert [m["name"] for m in metrics] == ["DI", "DPPL"]
    assert all(isinstance(m["value"], float) for m in metrics)
    assert "pre_training_bias_metrics" in analysis


def test_an_unreachable_model_fails_the_job_with_one_message(tmp_path: Path):
    data = tmp_path / "adult.csv"
    adult_frame(20).to_csv(data, index=False)
    config = {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
              "facet": [{"name_or_index": "Sex"}], "methods": {"post_training_bias": {"methods": ["DPPL"]}},
              "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations", "max_retries": 0}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(data), "--output",
                 str(tmp_path / "out"), "--base-dir", str(tmp_path / "opt_ml")])
    assert code == 4
    message = (tmp_path / "opt_ml" / "output" / "message").read_text()
    assert message.startswith("ClientError: http://127.0.0.1:9/invocations failed after 1 attempt; last error: "
                              "connection failed: ConnectionRefusedError")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
