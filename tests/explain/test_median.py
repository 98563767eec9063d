"""The median of the local SHAP values over parts (analyzer.explain._median) gives the bits of the whole
read: ``np.median(local, axis=0)`` and ``median_se`` over every record, for one column (numpy sums it
pairwise) and several (row after row), in blocks smaller than the data, holding one column at a time; its
files are removed when it finishes or closes. (Through parts merged like a Dask job's: test_parts.py.)"""
from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from analyzer.explain import ShapSettings, global_values, kernel_shap, kernel_shap_section
from analyzer.explain._estimate import median_se
from analyzer.explain.baseline import Baseline
from analyzer.explain import _median
from analyzer.explain._median import MedianSpill
from analyzer.stages.shap_stream import ShapStream


def _spill(local: np.ndarray, var: np.ndarray, keys: list[tuple], pattern_of: np.ndarray, rows: int,
           players: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chunks of ``rows`` records, each with its own pattern numbering (first seen first), as a chunk's run has."""
    spill = MedianSpill(len(local))
    for start in range(0, len(local), rows):
        part = pattern_of[start:start + rows]
        seen, local_number = np.unique(part, return_inverse=True)
        order = np.random.default_rng(start).permutation(len(seen))       # any numbering within a chunk
        spill.add(local[start:start + rows], np.sqrt(var[start:start + rows]), [keys[seen[i]] for i in order],
                  np.argsort(order)[local_number])
    folder = spill.folder
    assert folder is not None and sorted(p.name for p in folder.iterdir()) == [
        "median-columns", "median-local", "median-patterns", "median-se"]
    glob = spill.finish(players)
    assert not folder.exists()
    return glob, spill.errors["median"]


def _patterns(n: int, players: int, rng: np.random.Generator) -> tuple[list[tuple], np.ndarray]:
    """Random varying-player sets numbered as find_patterns numbers them (np.unique of the packed masks)."""
    varying = rng.random((n, players)) < 0.4
    packed = np.packbits(varying, axis=1)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    unique, pattern_of = np.unique(keys, return_inverse=True)
    masks = np.unpackbits(unique.view(np.uint8).reshape(-1, packed.shape[1]), axis=1, count=players).astype(bool)
    return [tuple(int(f) for f in np.flatnonzero(m)) for m in masks], pattern_of.reshape(-1)


@pytest.mark.parametrize("n, m, d, rows, block", [(20000, 1, 1, 7001, 4096), (3000, 4, 2, 999, 50), (257, 2, 1, 1, 7),
                                                  (1, 3, 1, 1, 1), (4000, 1, 3, 4000, 1 << 20)])
def test_the_spilled_median_and_its_error_are_the_whole_reads(n: int, m: int, d: int, rows: int, block: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_median, "BLOCK_VALUES", block)
    rng = np.random.default_rng(n + m + d)
    local = rng.standard_t(3, (n, m, d)) * 10.0 ** rng.integers(-3, 4, (1, m, d))
    local[rng.random(n) < 0.1] = 0.0                                     # ties and an even count's two middles
    var = rng.gamma(0.5, 1e-3, (n, m, d))
    var[:, 0] = np.where(rng.random((n, d)) < 0.5, 0.0, var[:, 0])
    keys, pattern_of = _patterns(n, m + 2, rng)
    players = np.arange(m + 2) * 3 + 1                                  # the explained features' column numbers
    keys = [tuple(int(players[f]) for f in k) for k in keys]
    glob, se = _spill(local, var, keys, pattern_of, rows, players)
    assert glob.tobytes() == global_values(local, "median").tobytes()
    assert se.tobytes() == median_se(local, var, pattern_of).tobytes()


def test_a_constant_column_takes_the_largest_error() -> None:
    local = np.zeros((40, 2, 1))
    local[:, 1, 0] = np.arange(40.0)
    var = np.linspace(0.0, 2.0, 80).reshape(40, 2, 1)
    glob, se = _spill(local, var, [()], np.zeros(40, dtype=np.int64), 9, np.array([0, 1]))
    assert glob.tolist() == [[0.0], [19.5]]
    assert se[0, 0] == np.sqrt(var[:, 0].max()) and se.tobytes() == median_se(local, var, np.zeros(40, int)).tobytes()


def test_one_column_in_memory_at_a_time() -> None:
    """2M records x 4 columns: 64 MB of values; the reduction holds one 16 MB column, or a few 2 MiB blocks."""
    n, m = 2_000_000, 4
    spill = MedianSpill(n)
    rng = np.random.default_rng(0)
    for _ in range(0, n, 500_000):
        values = rng.normal(size=(500_000, m, 1))
        spill.add(values, np.abs(values) * 0.01, [(0,), (1,)], (values[:, 0, 0] > 0).astype(np.int64))
    tracemalloc.start()
    try:
        glob = spill.finish(np.arange(m))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    column = 8 * n
    assert peak < 1.25 * column, f"peak {peak / 1e6:.0f} MB with {column / 1e6:.0f} MB columns"
    assert np.all(np.abs(glob) < 0.01) and np.all(spill.errors["median"] > 0)


def _model(outputs: int):
    def predict(frame: pd.DataFrame) -> np.ndarray:
        a, b = frame["a"].to_numpy(float), frame["b"].to_numpy(float)
        c = (frame["c"] == "x").to_numpy(float)
        p = 1 / (1 + np.exp(-(0.4 * a - 0.03 * b + 0.7 * c + 0.2 * a * c)))
        return p[:, None] if outputs == 1 else np.column_stack([1 - p, p])
    return predict


@pytest.mark.parametrize("outputs, explain, rows", [(1, None, 1), (2, None, 33), (1, ["b"], 7), (2, ["a"], 150)])
def test_kernel_shap_chunks_give_the_whole_runs_median(outputs: int, explain: list[str] | None, rows: int) -> None:
    """A dataset read in chunks (ShapStream: parts one after the other, the median in the merger)."""
    rng = np.random.default_rng(3)
    records = pd.DataFrame({"a": rng.integers(0, 3, 150), "b": rng.normal(20, 5, 150).round(1),
                            "c": rng.choice(["x", "y"], 150), "d": rng.integers(0, 2, 150)})
    baseline = Baseline(pd.DataFrame({"a": [1, 2], "b": [20.0, 20.0], "c": ["x", "x"], "d": [0, 0]}),
                        np.array([0.25, 0.75]))
    settings = ShapSettings(num_samples=6, seed=11, agg_method="median", max_rows_per_call=50,
                            features_to_explain=explain)
    predict = _model(outputs)
    whole = kernel_shap(predict, records, baseline.rows, baseline_weights=baseline.weights, num_samples=6, seed=11,
                        max_rows_per_call=50, agg_method="median", features_to_explain=explain)
    stream = ShapStream(predict, baseline, settings, len(records))
    for start in range(0, len(records), rows):
        stream.add(records.iloc[start:start + rows])
    folder = stream.merger.median.folder
    assert folder is not None and folder.exists()
    assert stream.merger.kept == [] and stream.merger.sums is None        # nothing summed or kept in memory
    result, glob = stream.finish()
    assert not folder.exists()
    assert glob.tobytes() == global_values(whole.local_values, "median").tobytes()
    assert result.global_std_errors["median"].tobytes() == whole.global_std_errors["median"].tobytes()
    assert np.any(result.global_std_errors["median"] > 0) == (explain is None)   # one player: exact values
    assert kernel_shap_section(result, agg_method="median", glob=glob) == kernel_shap_section(whole,
                                                                                              agg_method="median")


def test_closing_a_stopped_median_removes_its_files() -> None:
    records = pd.DataFrame({"a": [0, 1, 2, 1], "b": [1.0, 2.0, 3.0, 4.0], "c": ["x", "y", "x", "y"], "d": [0] * 4})
    baseline = Baseline(records.iloc[:1], np.array([1.0]))
    stream = ShapStream(_model(1), baseline, ShapSettings(num_samples=4, agg_method="median"), 8)
    stream.add(records)
    folder = stream.merger.median.folder
    assert folder is not None and folder.exists()
    stream.merger.median.close()
    assert not folder.exists()
    with pytest.raises(ValueError, match="4 of 8 records reached the median"):
        stream.merger.median.finish(np.arange(4))
