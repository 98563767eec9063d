"""The whole job with predictor.in_process and methods.shap.algorithm tree_exact: the same
analysis.json shape and out.csv columns as the Kernel SHAP path, diagnostics that say "exact"."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))

from analyzer.cli import main  # noqa: E402
from tree_fixtures import dataset, save, train  # noqa: E402


def _run(tmp_path: Path, name: str, model_dir: Path, shap: dict) -> tuple[int, Path]:
    x, y = dataset(80, seed=5)
    data = tmp_path / "data.csv"
    x.assign(y=y).to_csv(data, index=False)
    config = {"dataset_type": "text/csv", "label": "y", "headers": list(x.columns) + ["y"],
              "methods": {"shap": {"save_local_shap_values": True, **shap}},
              "predictor": {"in_process": True, "model_data": str(model_dir)}}
    (tmp_path / f"{name}.json").write_text(json.dumps(config))
    out = tmp_path / name
    code = main(["run", "--config", str(tmp_path / f"{name}.json"), "--data", str(data), "--output", str(out),
                 "--base-dir", str(tmp_path / f"opt_ml_{name}")])
    return code, out


@pytest.mark.slow  # two whole jobs with reports
def test_exact_job_has_the_kernel_layout_and_values(tmp_path):
    model_dir = save(train("xgb", *dataset()), "xgb", tmp_path / "model")
    shap = {"baseline": [dataset(1, seed=8)[0].iloc[0].tolist()], "use_logit": True, "num_samples": 62}
    code_k, kernel = _run(tmp_path, "kernel", model_dir, shap)
    code_e, exact = _run(tmp_path, "exact", model_dir, {**shap, "algorithm": "tree_exact"})
    assert code_k == code_e == 0
    doc_k = json.loads((kernel / "analysis.json").read_text())["explanations"]["kernel_shap"]
    doc_e = json.loads((exact / "analysis.json").read_text())["explanations"]["kernel_shap"]
    assert list(doc_e) == list(doc_k) == ["label0"]
    block_k, block_e = doc_k["label0"], doc_e["label0"]
    assert list(block_e) == list(block_k) == ["global_shap_values", "expected_value", "analyzer_diagnostics"]
    assert list(block_e["global_shap_values"]) == list(block_k["global_shap_values"])
    diag = block_e["analyzer_diagnostics"]
    assert diag["algorithm"] == "tree_exact" and "algorithm" not in block_k["analyzer_diagnostics"]
    assert set(diag["global_shap_standard_errors"].values()) == {0.0}
    local_k = pd.read_csv(kernel / "explanations_shap" / "out.csv")
    local_e = pd.read_csv(exact / "explanations_shap" / "out.csv")
    assert list(local_e.columns) == list(local_k.columns)
    # float32 probabilities limit Kernel SHAP's log-odds to ~1e-5 (see test_tree_exact)
    np.testing.assert_allclose(local_e.to_numpy(), local_k.to_numpy(), atol=1e-4)
    assert abs(block_e["expected_value"] - block_k["expected_value"]) < 1e-4


@pytest.mark.slow
def test_a_pipeline_model_falls_back_to_kernel_shap_in_process(tmp_path, monkeypatch, capfd):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = dataset()
    pipeline = make_pipeline(StandardScaler(), train("rf", x, y)).fit(x.to_numpy(), y)
    model_dir = save(pipeline, "pipeline", tmp_path / "model")
    monkeypatch.setenv("ANALYZER_ALLOW_PICKLE", "1")
    code, out = _run(tmp_path, "fallback", model_dir, {"baseline": [[0.0] * 6], "num_samples": 30,
                                                        "algorithm": "tree_exact"})
    assert code == 0
    block = json.loads((out / "analysis.json").read_text())["explanations"]["kernel_shap"]
    assert "algorithm" not in block["label0"]["analyzer_diagnostics"]
    logged = capfd.readouterr().err  # the CLI's log lines
    assert "tree_exact: the pipeline has steps before its model (standardscaler)" in logged
    assert "using Kernel SHAP instead" in logged
