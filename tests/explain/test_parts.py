"""Kernel SHAP in independent parts (analyzer.explain.parts), computed in any order and merged in record
order, gives the bits of one kernel_shap run over every record: local values, expected value, global
values and their standard errors, diagnostics and warnings, for splits that cut the 32-record influence
blocks, parts of one record, and a pattern whose few records sit in one block across three parts."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer.explain import (
    Baseline,
    KernelShapResult,
    ShapMerger,
    ShapSettings,
    explain_part,
    part_offsets,
    global_values,
    kernel_shap,
    kernel_shap_section,
    pattern_counts,
)
from analyzer.stages.shap_stream import ShapStream


def _model(outputs: int):
    def predict(frame: pd.DataFrame) -> np.ndarray:
        a, b = frame["a"].to_numpy(float), frame["b"].to_numpy(float)
        c = (frame["c"] == "x").to_numpy(float)
        e, f, g = (frame[k].to_numpy(float) for k in "efg")
        z = 0.4 * a - 0.03 * b + 0.7 * c + 0.2 * a * c + 0.1 * frame["d"].to_numpy(float) + 0.3 * e * f - 0.2 * g
        p = 1 / (1 + np.exp(-z))
        return p[:, None] if outputs == 1 else np.column_stack([1 - p, p])
    return predict


def _data(n: int, seed: int = 3) -> pd.DataFrame:
    """Records that often share a, c and d with the baselines below and never b, e, f, g: several patterns
    of four to seven varying features (sampled coalitions, so standard errors), one of them large."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.choice([1, 1, 1, 2], n), "b": rng.normal(20, 3, n).round(1) + 0.05,
                         "c": rng.choice(["x", "x", "y"], n), "d": rng.choice([0, 0, 0, 1], n),
                         "e": rng.normal(size=n), "f": rng.normal(size=n), "g": rng.normal(size=n)})


_BASE = {"b": 20.0, "e": 0.0, "f": 0.0, "g": 0.0}
_ONE = Baseline(pd.DataFrame({"a": [1], "b": [20.0], "c": ["x"], "d": [0], **{k: [v] for k, v in _BASE.items()}})
                .loc[:, list("abcdefg")], np.array([1.0]))
_TWO = Baseline(pd.DataFrame({"a": [1, 2], "c": ["x", "x"], "d": [0, 0], **{k: [v, v] for k, v in _BASE.items()}})
                .loc[:, list("abcdefg")], np.array([0.25, 0.75]))


def _whole(predict, records: pd.DataFrame, baseline: Baseline, s: ShapSettings) -> KernelShapResult:
    return kernel_shap(predict, records, baseline.rows, baseline_weights=baseline.weights,
                       features_to_explain=s.features_to_explain, num_samples=s.num_samples, seed=s.seed,
                       use_logit=s.use_logit, max_rows_per_call=s.max_rows_per_call, agg_method=s.agg_method)


def _in_parts(predict, records: pd.DataFrame, baseline: Baseline, s: ShapSettings, cuts: list[int],
              rng: np.random.Generator) -> tuple[list[KernelShapResult], KernelShapResult, np.ndarray]:
    """As the Dask job does it: a pattern pass per part, offsets on the leader, parts computed in a shuffled
    order (each through pickle, as a worker returns it) and merged in record order."""
    frames = [records.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)])]
    befores, counts = part_offsets([pattern_counts(frame, baseline, s) for frame in frames])
    assert counts == pattern_counts(records, baseline, s)
    parts: dict[int, object] = {}
    for i in rng.permutation(len(frames)).tolist():
        part = explain_part(predict, frames[i], baseline, s, len(records), befores[i], counts)
        parts[i] = pickle.loads(pickle.dumps(part))
    merger = pickle.loads(pickle.dumps(ShapMerger(s, len(records), counts)))
    local = [merger.add(parts[i]) for i in range(len(frames))]   # type: ignore[arg-type]
    result, glob = merger.finish()
    return local, result, glob


def _assert_same(local: list[KernelShapResult], result: KernelShapResult, glob: np.ndarray,
                 whole: KernelShapResult, agg: str) -> None:
    assert np.concatenate([r.local_values for r in local]).tobytes() == whole.local_values.tobytes()
    assert np.concatenate([r.num_varying for r in local]).tobytes() == whole.num_varying.tobytes()
    assert np.concatenate([r.num_samples_used for r in local]).tobytes() == whole.num_samples_used.tobytes()
    assert all(r.expected_value.tobytes() == whole.expected_value.tobytes() for r in local)
    assert result.expected_value.tobytes() == whole.expected_value.tobytes()
    assert glob.tobytes() == global_values(whole.local_values, agg).tobytes()
    for method in ("mean_abs", "mean_sq", *(["median"] if agg == "median" else [])):
        assert result.global_std_errors[method].tobytes() == whole.global_std_errors[method].tobytes()
    assert sorted(result.num_varying.tolist()) == sorted(whole.num_varying.tolist())
    assert sorted(result.num_samples_used.tolist()) == sorted(whole.num_samples_used.tolist())
    assert result.warnings == whole.warnings and result.feature_names == whole.feature_names
    assert kernel_shap_section(result, agg_method=agg, glob=glob) == kernel_shap_section(whole, agg_method=agg)


CASES = [  # outputs, settings, baseline
    (1, ShapSettings(num_samples=6, seed=11, agg_method="mean_abs", max_rows_per_call=50), _TWO),
    (2, ShapSettings(num_samples=6, seed=5, agg_method="mean_sq", max_rows_per_call=40), _ONE),
    (2, ShapSettings(num_samples=10, seed=2, agg_method="mean_abs", use_logit=True, max_rows_per_call=64), _TWO),
    (1, ShapSettings(num_samples=5, seed=7, agg_method="mean_sq", features_to_explain=["b", "c", "e", "f"]), _ONE),
    (1, ShapSettings(num_samples=2, seed=9, agg_method="mean_abs", features_to_explain=["b"]), _TWO),  # one column
    # patterns of two to four features enumerated (no draws), of five sampled
    (2, ShapSettings(num_samples=20, seed=8, agg_method="mean_sq", features_to_explain=list("abcde")), _ONE),
    # the median: every local value and standard error on disk (analyzer.explain._median)
    (2, ShapSettings(num_samples=6, seed=3, agg_method="median", max_rows_per_call=50), _TWO),
    (1, ShapSettings(num_samples=2, seed=9, agg_method="median", features_to_explain=["b"]), _ONE),  # one column
]


@pytest.mark.parametrize("outputs, settings, baseline", CASES)
def test_random_splits_computed_in_any_order_give_the_whole_runs_bits(outputs: int, settings: ShapSettings,
                                                                      baseline: Baseline) -> None:
    records = _data(260)
    predict = _model(outputs)
    whole = _whole(predict, records, baseline, settings)
    biggest = max(Counter(map(tuple, whole.num_varying[:, None])).values())
    assert biggest > 64                                 # whole blocks inside parts
    one_feature = len(whole.feature_names) == 1          # then no regression: standard errors 0
    assert one_feature or np.any(whole.global_std_errors[settings.agg_method] > 0)
    rng = np.random.default_rng(outputs + len(settings.features_to_explain or ()))
    for parts in (2, 3, 7):
        cuts = sorted(rng.choice(np.arange(1, len(records)), parts - 1, replace=False).tolist())
        _assert_same(*_in_parts(predict, records, baseline, settings, cuts, rng), whole, settings.agg_method)


def test_parts_of_one_record_and_the_chunked_stream_give_the_whole_runs_bits() -> None:
    records = _data(70, seed=8)
    settings = ShapSettings(num_samples=6, seed=4, agg_method="mean_sq", max_rows_per_call=30)
    predict = _model(2)
    whole = _whole(predict, records, _TWO, settings)
    rng = np.random.default_rng(0)
    _assert_same(*_in_parts(predict, records, _TWO, settings, list(range(1, len(records))), rng), whole, "mean_sq")

    stream = ShapStream(predict, _TWO, settings, len(records))
    local = [stream.add(records.iloc[start:start + 9]) for start in range(0, len(records), 9)]
    _assert_same(local, *stream.finish(), whole, "mean_sq")


def test_a_pattern_in_one_partial_block_across_three_parts() -> None:
    """Five records vary in every feature (one pattern, one block of five), in three parts that also
    cut the large pattern's blocks; an empty part in between changes nothing."""
    records = _data(150, seed=4)
    rare = [10, 11, 60, 61, 130]
    records.loc[rare, ["a", "c", "d"]] = [2, "y", 1]
    records.loc[[i for i in range(150) if i not in rare], "d"] = 0
    settings = ShapSettings(num_samples=8, seed=3, agg_method="mean_abs")
    predict = _model(1)
    whole = _whole(predict, records, _ONE, settings)
    counts = pattern_counts(records, _ONE, settings)
    assert counts[(0, 1, 2, 3, 4, 5, 6)] == 5
    rng = np.random.default_rng(1)
    _assert_same(*_in_parts(predict, records, _ONE, settings, [40, 100, 100], rng), whole, "mean_abs")


def test_parts_added_out_of_order_or_short_of_the_counts_are_refused() -> None:
    records = _data(80)
    settings = ShapSettings(num_samples=6, seed=1)
    predict = _model(1)
    counts = pattern_counts(records, _TWO, settings)
    head = pattern_counts(records.iloc[:40], _TWO, settings)
    second = explain_part(predict, records.iloc[40:], _TWO, settings, 80, head, counts)
    with pytest.raises(ValueError, match="record order"):
        ShapMerger(settings, 80, counts).add(second)
    merger = ShapMerger(settings, 80, counts)
    merger.add(explain_part(predict, records.iloc[:40], _TWO, settings, 80, {}, counts))
    with pytest.raises(ValueError, match="pattern counts"):
        merger.finish()
    median = ShapMerger(ShapSettings(num_samples=6, seed=1, agg_method="median"), 80, counts)
    with pytest.raises(ValueError, match="needs its records' standard errors and patterns"):
        median.add(second)                              # a part explained for another agg_method


@pytest.mark.parametrize("cuts", [[], [32, 64, 96], [31, 33, 95, 97], [1, 99], [50, 50, 64]])
def test_cuts_on_and_next_to_block_boundaries(cuts: list[int]) -> None:
    """One pattern only (every feature always varies): a record's place in its pattern is its row
    number, so the cuts fall exactly on, just before and just after the 32-record blocks and the end."""
    rng = np.random.default_rng(6)
    records = pd.DataFrame(rng.normal(size=(100, 4)) + 5.0, columns=list("wxyz"))
    baseline = Baseline(pd.DataFrame(np.zeros((1, 4)), columns=list("wxyz")), np.array([1.0]))
    settings = ShapSettings(num_samples=6, seed=2, agg_method="mean_abs")

    def predict(frame: pd.DataFrame) -> np.ndarray:
        v = frame.to_numpy(float)
        return np.tanh(v @ np.array([0.3, -0.2, 0.1, 0.05]) + 0.1 * v[:, 0] * v[:, 1])

    whole = _whole(predict, records, baseline, settings)
    assert pattern_counts(records, baseline, settings) == {(0, 1, 2, 3): 100}
    assert np.all(whole.global_std_errors["mean_abs"] > 0)
    _assert_same(*_in_parts(predict, records, baseline, settings, cuts, rng), whole, "mean_abs")


_WORKER = """
import pickle, sys
import numpy as np
from analyzer.explain import explain_part
with open(sys.argv[1], "rb") as f:
    model, frames, baseline, settings, n, befores, counts = pickle.load(f)
scope = {"np": np}
exec(model, scope)
parts = [explain_part(scope["predict"], frame, baseline, settings, n, before, counts)
         for frame, before in zip(frames, befores)]
with open(sys.argv[2], "wb") as f:
    pickle.dump(parts, f)
"""

_MODEL = """
def predict(frame):
    v = frame.loc[:, ["a", "b", "e", "f", "g"]].to_numpy(float)
    z = 0.4 * v[:, 0] - 0.03 * v[:, 1] + 0.3 * v[:, 2] * v[:, 3] - 0.2 * v[:, 4] + 0.5 * (frame["c"] == "x")
    return np.column_stack([z, np.tanh(z)])
"""


def test_parts_from_another_process_with_one_blas_thread(tmp_path: Path) -> None:
    """Parts explained in another Python process (as a Dask worker does, one BLAS thread) merge into the
    bits of one run here: the designs the merger rebuilds from the seed are the worker's."""
    records = _data(200, seed=12)
    settings = ShapSettings(num_samples=9, seed=21, agg_method="mean_abs", max_rows_per_call=300)
    scope: dict = {"np": np}
    exec(_MODEL, scope)
    whole = _whole(scope["predict"], records, _TWO, settings)
    frames = [records.iloc[a:b] for a, b in ((0, 45), (45, 46), (46, 130), (130, 200))]
    befores, counts = part_offsets([pattern_counts(frame, _TWO, settings) for frame in frames])
    (tmp_path / "in.pkl").write_bytes(pickle.dumps((_MODEL, frames, _TWO, settings, 200, befores, counts)))
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", _WORKER, str(tmp_path / "in.pkl"), str(tmp_path / "out.pkl")],
                   env=env, check=True, timeout=120)
    parts = pickle.loads((tmp_path / "out.pkl").read_bytes())
    merger = ShapMerger(settings, 200, counts)
    local = [merger.add(part) for part in parts]
    _assert_same(local, *merger.finish(), whole, "mean_abs")
