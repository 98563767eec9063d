"""Captured real traffic gives exactly the metrics of the plain dataset with the same predictions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from capture_traffic import FEATURES, model_server, population, record_traffic

BIAS = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}]}


def _run(tmp: Path, name: str, config: dict[str, Any], *args: str) -> tuple[int, dict[str, Any]]:
    config_path = tmp / f"{name}.json"
    config_path.write_text(json.dumps(config))
    out = tmp / f"out-{name}"
    code = main(["run", "--config", str(config_path), "--output", str(out), "--base-dir", str(tmp / "opt"), *args])
    analysis = json.loads((out / "analysis.json").read_text()) if (out / "analysis.json").exists() else {}
    return code, analysis


def _plain(tmp: Path, recording: Any, threshold: float = 0.5) -> dict[str, Any]:
    frame = recording.expected()
    frame = frame.assign(predicted_label=(frame["score"] > threshold).astype(int))
    frame[FEATURES + ["label", "predicted_label"]].to_csv(tmp / "plain.csv", index=False)
    config = {"dataset_type": "text/csv", "label": "label", "predicted_label": "predicted_label", **BIAS,
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
    code, analysis = _run(tmp, "plain", config, "--data", str(tmp / "plain.csv"))
    assert code == 0
    return analysis


def _bias_sections(analysis: dict[str, Any]) -> dict[str, Any]:
    return {k: analysis[k] for k in ("pre_training_bias_metrics", "post_training_bias_metrics")}


@pytest.mark.slow
def test_csv_endpoint_capture_equals_the_plain_dataset(tmp_path: Path) -> None:
    with model_server() as url:
        recording = record_traffic(url, population(240), tmp_path)
    assert not all(recording.has_truth)                       # some events have no ground truth
    monitor_config = {**BIAS, "headers": FEATURES + ["label"], "label": "label"}  # BiasAnalysisConfig shape
    code, analysis = _run(tmp_path, "capture", monitor_config, "--capture", str(recording.capture_dir),
                          "--ground-truth", str(recording.truth_dir))
    assert code == 0
    plain = _plain(tmp_path, recording)
    assert _bias_sections(analysis) == _bias_sections(plain)
    metrics = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]}
    assert metrics["DPPL"] is not None and metrics["DPPL"] != 0


@pytest.mark.slow
def test_jsonlines_endpoint_capture_with_json_truth_and_threshold(tmp_path: Path) -> None:
    with model_server() as url:
        recording = record_traffic(url, population(180, seed=3), tmp_path, kind="application/jsonlines",
                                   truth_json_every=4)
    monitor_config = {**BIAS, "headers": FEATURES + ["label"], "label": "label", "features": "features"}
    code, analysis = _run(tmp_path, "capture", monitor_config, "--capture", str(recording.capture_dir),
                          "--ground-truth", str(recording.truth_dir), "--probability-attribute", "score",
                          "--probability-threshold-attribute", "0.4")
    assert code == 0
    assert _bias_sections(analysis) == _bias_sections(_plain(tmp_path, recording, threshold=0.4))
