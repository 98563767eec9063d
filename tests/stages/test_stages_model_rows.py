"""The model rows a job will ask for: the estimate against hand-worked counts, against the rows a real
Kernel SHAP run asks for, and the refusal of an absurd job before any request."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer.cli import main
from analyzer.errors import ConfigError
from analyzer.explain import kernel_shap
from analyzer.stages.model_rows import MAX_MODEL_ROWS, check_model_rows, estimated_model_rows, shap_coalitions


def test_coalitions_are_capped_by_the_subsets_and_default_to_2m_plus_2048():
    assert shap_coalitions(3, 100) == 6            # 2^3 - 2
    assert shap_coalitions(20, None) == 2 * 20 + 2048
    assert shap_coalitions(20, 500) == 500
    assert shap_coalitions(80, 10**6) == 10**6     # no overflow for many players


def test_hand_worked_estimate():
    # 1,000 records, 4 features, 10 samples (cap 14), 3 baseline rows: 1000 * (10 + 2) * 3 = 36,000;
    # PDP 2 features x 5 grid points x 1,000 records = 10,000.
    assert estimated_model_rows(1000, 4, 10, 3, 2, 5) == 46_000
    assert estimated_model_rows(1000, 0, None, 0, 2, 5) == 10_000


def test_the_estimate_bounds_what_kernel_shap_asks_for():
    rng = np.random.default_rng(0)
    records = pd.DataFrame(rng.normal(size=(40, 6)), columns=list("abcdef"))
    baseline = records.iloc[:2].reset_index(drop=True)
    asked = []

    def model(frame: pd.DataFrame) -> np.ndarray:
        asked.append(len(frame))
        return frame.to_numpy().sum(axis=1, keepdims=True)

    result = kernel_shap(model, records, baseline, num_samples=20, seed=1)
    estimate = estimated_model_rows(40, 6, 20, 2)
    assert sum(asked) == result.model_rows
    assert 0.5 * estimate <= result.model_rows <= estimate


def test_an_absurd_job_is_refused_naming_the_keys():
    check_model_rows(MAX_MODEL_ROWS, "fine")
    with pytest.raises(ConfigError, match=r"methods\.shap\.num_samples"):
        check_model_rows(MAX_MODEL_ROWS + 1, "too many")


def test_the_run_stops_before_asking_the_model(tmp_path: Path):
    # 2,000 records x 40 features with 1,000,000 coalitions and 100 baseline rows: 2e14 model rows.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 9, size=(2000, 41)), columns=["y"] + [f"f{i}" for i in range(40)])
    frame.to_csv(tmp_path / "data.csv", index=False)
    config = {"dataset_type": "text/csv", "label": "y", "headers": list(frame.columns),
              "methods": {"shap": {"num_samples": 1_000_000, "num_clusters": 100}},
              "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations"}}   # nothing listens there
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.csv"),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])
    assert code == ConfigError.exit_code
    message = (tmp_path / "ml" / "output" / "message").read_text()
    assert "would ask the model for up to" in message and "methods.shap.num_samples" in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
