"""The explainability stage through the whole job: a real HTTP model, Kernel SHAP and PDP, out.csv and
baseline.csv, checked against the same computation in-process and against efficiency."""
from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

import model_servers

from analyzer.cli import main
from analyzer.explain import ShapSettings, explain

WEIGHTS = np.array([0.8, -0.5, 0.3, 0.05])


def model(x: np.ndarray) -> np.ndarray:
    """A nonlinear model with an interaction, easy to serve and to call in-process."""
    z = x @ WEIGHTS + 0.4 * x[:, 0] * x[:, 1] - 1.0
    return 1 / (1 + np.exp(-z))


def _respond(body: str, kind: str) -> tuple[str, str]:  # CSV rows in, one score per line out
    rows = np.array([[float(v) for v in line.split(",")] for line in body.splitlines() if line])
    return "\n".join(repr(float(s)) for s in model(rows)) + "\n", "text/csv"


def serving() -> AbstractContextManager[str]:
    return model_servers.serving(_respond)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with serving() as url:
        yield url


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(0, 5, size=(60, 4)), columns=["a", "b", "c", "d"]).astype(float)
    frame.insert(0, "id", [f"r{i}" for i in range(len(frame))])
    frame["y"] = (rng.random(len(frame)) > 0.5).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _run(tmp_path: Path, config: dict, data: Path) -> int:
    (tmp_path / "config.json").write_text(json.dumps(config))
    return main(["run", "--config", str(tmp_path / "config.json"), "--data", str(data),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])


def test_shap_and_pdp_through_an_http_model(tmp_path: Path, endpoint: str, data) -> None:
    path, frame = data
    baseline = [[1.0, 1.0, 2.0, 2.0]]
    config = {"dataset_type": "text/csv", "label": "y", "joinsource_name_or_index": "id",
              "methods": {"shap": {"baseline": baseline, "num_samples": 14, "seed": 5,
                                   "save_local_shap_values": True},
                          "pdp": {"grid_resolution": 4, "top_k_features": 2}},
              "predictor": {"endpoint_url": endpoint, "content_type": "text/csv", "accept_type": "text/csv"}}
    assert _run(tmp_path, config, path) == 0
    out = tmp_path / "out"
    analysis = json.loads((out / "analysis.json").read_text())
    assert list(analysis) == ["version", "explanations"]
    block = analysis["explanations"]["kernel_shap"]["label0"]
    assert list(block)[:2] == ["global_shap_values", "expected_value"]
    assert list(block["global_shap_values"]) == ["a", "b", "c", "d"]
    assert block["expected_value"] == pytest.approx(float(model(np.array(baseline))[0]))

    local = pd.read_csv(out / "explanations_shap" / "out.csv")
    assert list(local.columns) == ["id", "a_label0", "b_label0", "c_label0", "d_label0"]
    assert local["id"].tolist() == frame["id"].tolist()
    # Efficiency: local values add up to f(x) - expected_value for every record.
    x = frame[["a", "b", "c", "d"]].to_numpy()
    np.testing.assert_allclose(local.iloc[:, 1:].sum(axis=1), model(x) - block["expected_value"], atol=1e-9)
    # 2^4 - 2 = 14 samples enumerate every coalition: these are exact Shapley values, equal to the
    # in-process computation on the same model.
    direct = explain(lambda f: model(f.to_numpy(dtype=float)), frame[["a", "b", "c", "d"]],
                     shap=ShapSettings(baseline=pd.DataFrame(baseline, columns=["a", "b", "c", "d"]),
                                       num_samples=14, seed=5))
    np.testing.assert_allclose(local.iloc[:, 1:].to_numpy(), direct.kernel_shap.local_values[:, :, 0], atol=1e-12)
    mean_abs = np.abs(local.iloc[:, 1:].to_numpy()).mean(axis=0)
    np.testing.assert_allclose(list(block["global_shap_values"].values()), mean_abs, rtol=1e-12)

    baseline_csv = pd.read_csv(out / "explanations_shap" / "baseline.csv")
    assert baseline_csv.values.tolist() == baseline
    pdp = analysis["explanations"]["pdp"]
    top2 = sorted(block["global_shap_values"], key=lambda f: -block["global_shap_values"][f])[:2]
    assert [p["feature_name"] for p in pdp] == top2
    assert all(len(p["model_predictions"][0]) == len(p["feature_values"]) == 4 for p in pdp)


def test_automatic_baseline_and_no_local_values(tmp_path: Path, endpoint: str, data) -> None:
    path, _ = data
    config = {"dataset_type": "text/csv", "label": "y", "excluded_columns": ["id"],
              "methods": {"shap": {"num_clusters": 3, "num_samples": 30, "agg_method": "median"}},
              "predictor": {"endpoint_url": endpoint}}
    assert _run(tmp_path, config, path) == 0
    out = tmp_path / "out"
    assert not (out / "explanations_shap" / "out.csv").exists()   # save_local_shap_values defaults to false
    assert len(pd.read_csv(out / "explanations_shap" / "baseline.csv")) == 3


def test_a_baseline_file(tmp_path: Path, endpoint: str, data) -> None:
    path, _ = data
    (tmp_path / "baseline.csv").write_text("a,b,c,d\n1,1,2,2\n0,0,0,0\n")
    config = {"dataset_type": "text/csv", "label": "y", "excluded_columns": ["id"],
              "methods": {"shap": {"baseline": str(tmp_path / "baseline.csv"), "num_samples": 14}},
              "predictor": {"endpoint_url": endpoint}}
    assert _run(tmp_path, config, path) == 0
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    expected = model(np.array([[1.0, 1, 2, 2], [0, 0, 0, 0]])).mean()
    assert analysis["explanations"]["kernel_shap"]["label0"]["expected_value"] == pytest.approx(expected)


def test_wrong_baseline_width_is_a_clear_error(tmp_path: Path, endpoint: str, data) -> None:
    path, _ = data
    config = {"dataset_type": "text/csv", "label": "y", "excluded_columns": ["id"],
              "methods": {"shap": {"baseline": [[1, 2]]}}, "predictor": {"endpoint_url": endpoint}}
    assert _run(tmp_path, config, path) == 2   # an inline baseline is part of the config (README: exit-code rule)
    message = (tmp_path / "ml" / "output" / "message").read_text()
    assert message.startswith("ClientError: ") and "baseline" in message
    assert not (tmp_path / "out" / "analysis.json").exists()
