"""Global values, the analysis.json explanations section, out.csv and explain() end to end."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analyzer.errors import ConfigError
from analyzer.explain import (
    DIAGNOSTICS_KEY,
    PdpSettings,
    ShapSettings,
    explain,
    global_values,
    kernel_shap,
    kernel_shap_section,
    local_values_frame,
)


def test_global_values():
    local = np.array([[[1.0], [-2.0]], [[-3.0], [4.0]], [[2.0], [0.0]]])
    np.testing.assert_allclose(global_values(local)[:, 0], [2.0, 2.0])
    np.testing.assert_allclose(global_values(local, "median")[:, 0], [1.0, 0.0])
    np.testing.assert_allclose(global_values(local, "mean_sq")[:, 0], [14 / 3, 20 / 3])
    with pytest.raises(ConfigError, match="agg_method must be one of"):
        global_values(local, "max")


def _model(frame):
    a = frame.to_numpy(float)
    p = 1 / (1 + np.exp(-(a[:, 0] - a[:, 1] + a[:, 0] * a[:, 2])))
    return np.column_stack([p, 1 - p])


def _data():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(12, 3)), columns=["x", "y", "z"])


def test_section_layout_and_out_csv_columns():
    data = _data()
    res = kernel_shap(_model, data, data.iloc[[0]] * 0)
    section = kernel_shap_section(res, labels=["yes", "no"], baseline_rows=1)
    assert list(section) == ["yes", "no"]
    block = section["yes"]
    assert list(block) == ["global_shap_values", "expected_value", DIAGNOSTICS_KEY]
    assert list(block["global_shap_values"]) == ["x", "y", "z"]
    assert block["expected_value"] == pytest.approx(0.5)
    assert block[DIAGNOSTICS_KEY]["num_samples_used"] == {"min": 6, "mean": 6.0, "max": 6}
    json.dumps(section)
    plain = kernel_shap_section(res, include_diagnostics=False)
    assert list(plain) == ["label0", "label1"] and list(plain["label0"]) == ["global_shap_values",
                                                                             "expected_value"]
    frame = local_values_frame(res, join_column="id", join_values=range(100, 112))
    assert list(frame.columns) == ["id", "x_label0", "y_label0", "z_label0",
                                   "x_label1", "y_label1", "z_label1"]
    np.testing.assert_array_equal(frame["z_label1"], res.local_values[:, 2, 1])
    with pytest.raises(ConfigError, match=r"3 label names were given \(\['a', 'b', 'c'\]\) but the "
                       "model returns 2 scores"):
        kernel_shap_section(res, labels=["a", "b", "c"])


def test_explain_end_to_end_with_auto_baseline_and_top_k_pdp():
    data = _data()
    result = explain(_model, data, shap=ShapSettings(num_clusters=2, seed=1, agg_method="mean_sq",
                                                    label_names=["pos", "neg"]),
                     pdp=PdpSettings(top_k_features=2, grid_resolution=4))
    assert len(result.baseline_frame()) == 2
    out = result.explanations()
    assert list(out) == ["kernel_shap", "pdp"]
    assert list(out["kernel_shap"]) == ["pos", "neg"]
    assert [e["label_headers"] for e in out["pdp"]] == [["pos", "neg"]] * 2
    glob = out["kernel_shap"]["pos"]["global_shap_values"]
    top = sorted(glob, key=lambda f: -glob[f])[:2]
    assert [e["feature_name"] for e in out["pdp"]] == top
    frame = result.local_values_frame()
    assert frame.shape == (12, 6)
    # efficiency through the whole pipeline
    ks = result.kernel_shap
    np.testing.assert_allclose(ks.local_values.sum(1) + ks.expected_value, _model(data), atol=1e-9)
    json.dumps(out)


def test_explain_given_baseline_and_pdp_only():
    data = _data()
    result = explain(_model, data, shap=ShapSettings(baseline=pd.DataFrame([[0, 0, 0]],
                                                                            columns=["x", "y", "z"]),
                                                    save_local_shap_values=False))
    assert result.local_values_frame() is None
    assert result.explanations()["kernel_shap"]["label0"]["expected_value"] == pytest.approx(0.5)
    only = explain(_model, data, pdp=PdpSettings(features=["z", 0], label_names=["p", "q"]))
    assert [e["feature_name"] for e in only.explanations()["pdp"]] == ["z", "x"]
    with pytest.raises(ConfigError, match="features is required"):
        explain(_model, data, pdp=PdpSettings())
    with pytest.raises(ConfigError, match="either baseline or num_clusters"):
        explain(_model, data, shap=ShapSettings(baseline=data.iloc[[0]], num_clusters=2))
