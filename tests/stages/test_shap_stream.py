"""Kernel SHAP chunk by chunk (analyzer.stages.shap_stream) gives the bits of one run over every record:
local values, global values and their standard errors, diagnostics, for chunk sizes that do and do not
divide the 32-record influence blocks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.explain import ShapSettings, global_values, kernel_shap, kernel_shap_section
from analyzer.explain.baseline import Baseline
from analyzer.stages.shap_stream import ShapStream


def _model(outputs: int):
    def predict(frame: pd.DataFrame) -> np.ndarray:
        a, b = frame["a"].to_numpy(float), frame["b"].to_numpy(float)
        c = (frame["c"] == "x").to_numpy(float)
        z = 0.4 * a - 0.03 * b + 0.7 * c + 0.2 * a * c
        p = 1 / (1 + np.exp(-z))
        return p[:, None] if outputs == 1 else np.column_stack([1 - p, p, p * p])
    return predict


def _data(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.normal(20, 5, n).round(1),
                         "c": rng.choice(["x", "y"], n), "d": rng.integers(0, 2, n)})


@pytest.mark.parametrize("outputs, agg, rows", [(1, "mean_abs", 1), (1, "mean_sq", 7), (3, "mean_abs", 33),
                                                (3, "mean_sq", 45), (1, "mean_abs", 1000)])
def test_chunks_give_the_whole_runs_bits(outputs: int, agg: str, rows: int) -> None:
    records = _data(150)
    # a baseline the records often share values with: many patterns, of sizes that are not multiples of 32
    baseline = Baseline(pd.DataFrame({"a": [1, 2], "b": [20.0, 20.0], "c": ["x", "x"], "d": [0, 0]}),
                        np.array([0.25, 0.75]))
    settings = ShapSettings(num_samples=6, seed=11, agg_method=agg, max_rows_per_call=50)
    predict = _model(outputs)
    whole = kernel_shap(predict, records, baseline.rows, baseline_weights=baseline.weights, num_samples=6, seed=11,
                        max_rows_per_call=50, agg_method=agg)
    assert len(set(map(tuple, whole.num_varying[:, None]))) > 1     # the test means several patterns

    stream = ShapStream(predict, baseline, settings, len(records))
    local = [stream.add(records.iloc[start:start + rows]).local_values for start in range(0, len(records), rows)]
    result, glob = stream.finish()

    assert np.concatenate(local).tobytes() == whole.local_values.tobytes()
    assert glob.tobytes() == global_values(whole.local_values, agg).tobytes()
    assert result.global_std_errors[agg].tobytes() == whole.global_std_errors[agg].tobytes()
    assert np.any(result.global_std_errors[agg] > 0)
    section = kernel_shap_section(result, agg_method=agg, glob=glob)
    assert section == kernel_shap_section(whole, agg_method=agg)


def test_the_job_warns_once_with_the_whole_counts(caplog: pytest.LogCaptureFixture) -> None:
    records = _data(70)
    baseline = Baseline(pd.DataFrame({"a": [5], "b": [0.0], "c": ["z"], "d": [7]}), np.array([1.0]))
    settings = ShapSettings(num_samples=2, seed=1)
    stream = ShapStream(_model(1), baseline, settings, len(records))
    for start in range(0, 70, 9):
        stream.add(records.iloc[start:start + 9])
    result, _ = stream.finish()
    assert len(result.warnings) == 1 and "for 70 of 70 records" in result.warnings[0]
    assert caplog.text.count("is smaller than the number of varying features") == 1
