"""Time-series output shapes against the spec's samples (§3.5): key names and order, one line per item,
offset + scores = forecast."""
from __future__ import annotations

import json

import numpy as np

from analyzer.explain.asymmetric import asymmetric_shapley
from analyzer.explain.asymmetric_report import analysis_entry, item_line, results_path

X = np.array([[1.0, 0.5], [2.0, -1.0], [3.0, 0.0]])


def evaluate(masks: np.ndarray) -> np.ndarray:
    values = np.where(masks, X, 0.0)
    return np.stack([values[:, :, 0].sum(axis=1) + values[:, -1, 1], values[:, -1, 0] * 2], axis=1)


STAMPS = ["2020-01-01 16:00:00", "2020-01-01 16:10:00", "2020-01-01 16:20:00"]


def test_analysis_entry_and_path() -> None:
    path = results_path("fine_grained", "chronological")
    assert path == "asymmetric_shapley_value/fine_grained_chronological/out.jsonl"
    entry = analysis_entry("chronological", "fine_grained", "s3://b/out/" + path)
    assert list(entry) == ["direction", "granularity", "explanation_results_path"]
    assert entry["explanation_results_path"] == "s3://b/out/asymmetric_shapley_value/fine_grained_chronological/out.jsonl"


def test_fine_grained_line() -> None:
    result = asymmetric_shapley(evaluate, 3, 2, granularity="fine_grained", num_samples=4)
    line = json.loads(json.dumps(item_line("sanjose", result, STAMPS, ["p_mbar", "rain_mm"])))
    assert list(line) == ["item_id", "offset", "explanations"]
    assert line["item_id"] == "sanjose" and len(line["offset"]) == 2
    # AWS's published output: each series over its timestamps, the target first
    assert [(e["feature_name"], e["timestamp"]) for e in line["explanations"]] == [
        ("p_mbar", s) for s in STAMPS] + [("rain_mm", s) for s in STAMPS]
    assert all(list(e) == ["feature_name", "timestamp", "scores"] for e in line["explanations"])
    total = np.array(line["offset"]) + np.sum([e["scores"] for e in line["explanations"]], axis=0)
    np.testing.assert_allclose(total, evaluate(np.ones((1, 3, 2), bool))[0], atol=1e-12)
    # rain_mm only matters at the last step: 0.0 there, so all its scores are 0
    assert all(e["scores"] == [0.0, 0.0] for e in line["explanations"] if e["feature_name"] == "rain_mm")


def test_timewise_line_has_one_entry_per_step() -> None:
    result = asymmetric_shapley(evaluate, 3, 2, direction="anti_chronological")
    line = item_line(7, result, STAMPS, ["p_mbar", "rain_mm"])
    assert [e["timestamp"] for e in line["explanations"]] == STAMPS
    assert [e["scores"][1] for e in line["explanations"]] == [0.0, 0.0, 6.0]
