"""Automatic baselines (K-means / K-prototypes) and in-place baseline parsing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.errors import ConfigError, DataError
from analyzer.explain import auto_baseline, parse_baseline
from analyzer.explain.baseline import choose_num_clusters


def _numeric(n=600, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [10, 10], [0, 10]])
    pts = centres[rng.integers(0, 3, n)] + rng.normal(0, 0.5, (n, 2))
    onehot = np.eye(4)[rng.integers(0, 4, n)]
    frame = pd.DataFrame(np.column_stack([pts, onehot]), columns=["x", "y", "a", "b", "c", "d"])
    frame["count"] = rng.integers(0, 5, n)
    return frame


def _mixed(n=400, seed=1):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    return pd.DataFrame({
        "age": (group * 20 + 25 + rng.integers(-3, 4, n)).astype(np.int64),
        "job": pd.Series(np.array(["cook", "nurse", "pilot"])[group], dtype="str"),
        "city": pd.Series(rng.choice(["Oslo", "Lima"], n), dtype="str"),
        "hours": rng.normal(40, 5, n),
    })


@pytest.mark.parametrize("k", [1, 3, 5])
def test_kmeans_respects_num_clusters_and_snaps_to_observed_values(k):
    frame = _numeric()
    base = auto_baseline(frame, k, seed=3)
    assert len(base.rows) == k and list(base.rows.columns) == list(frame.columns)
    np.testing.assert_allclose(base.weights.sum(), 1.0)
    for col in frame.columns:
        assert set(base.rows[col]) <= set(frame[col])
    assert set(base.rows[["a", "b", "c", "d"]].to_numpy().ravel()) <= {0.0, 1.0}
    assert base.rows["count"].dtype == frame["count"].dtype


def test_kprototypes_uses_modes_and_keeps_dtypes():
    frame = _mixed()
    base = auto_baseline(frame, 3, seed=0)
    assert list(base.rows.dtypes) == list(frame.dtypes)
    assert sorted(base.rows["job"]) == ["cook", "nurse", "pilot"]  # one cluster per job
    np.testing.assert_allclose(sorted(base.weights), sorted(frame["job"].value_counts(normalize=True)), atol=0.02)
    for col in frame.columns:
        assert set(base.rows[col]) <= set(frame[col])


@pytest.mark.slow  # tens of seconds on a loaded 2-core machine
def test_auto_choice_is_in_range_and_deterministic():
    frame = _numeric()
    a = auto_baseline(frame, seed=5)
    b = auto_baseline(frame, seed=5)
    assert 1 <= len(a.rows) <= 12
    assert len(auto_baseline(frame[["x", "y"]], seed=5).rows) == 3  # three separated blobs
    pd.testing.assert_frame_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.weights, b.weights)
    m = auto_baseline(_mixed(), seed=2)
    assert 1 <= len(m.rows) <= 12
    pd.testing.assert_frame_equal(m.rows, auto_baseline(_mixed(), seed=2).rows)


def test_elbow_rule():
    assert choose_num_clusters([100, 20, 18, 17, 16]) == 2
    assert choose_num_clusters([5.0]) == 1
    assert choose_num_clusters([10, 10, 10]) == 1


def test_few_distinct_rows_and_bad_count():
    frame = pd.DataFrame({"a": [1.0, 1.0, 2.0, 2.0]})
    assert len(auto_baseline(frame, 5).rows) == 2
    with pytest.raises(ConfigError, match="num_clusters must be a positive integer; got 0"):
        auto_baseline(frame, 0)


def test_parse_csv_rows_coerces_dtypes():
    frame = _mixed()
    base = parse_baseline([[30, "cook", "Oslo", 40], ["45", "pilot", "Lima", "38.5"]], frame)
    assert list(base.dtypes) == list(frame.dtypes)
    assert base["age"].tolist() == [30, 45] and base["hours"].tolist() == [40.0, 38.5]
    mean_row = parse_baseline([[30.5, "cook", "Oslo", 40]], frame)
    assert mean_row["age"].tolist() == [30.5]  # a fractional value keeps its fraction


def test_parse_jsonlines_and_json():
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    rows = parse_baseline([{"features": [0, 0.25]}, '{"features": [1, 2]}'], frame,
                          dataset_type="application/jsonlines", features="features")
    assert rows.to_numpy().tolist() == [[0, 0.25], [1, 2]]
    doc = {"instances": [{"f": [3, 4.5]}]}
    rows = parse_baseline(doc, frame, dataset_type="application/json", features="instances[*].f")
    assert rows.to_numpy().tolist() == [[3, 4.5]]


def test_parse_errors_say_what_is_wrong():
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    with pytest.raises(DataError, match=r"row 1 has 3 values; expected 2 \(one per feature: \['a', 'b'\]"):
        parse_baseline([[1, 2], [1, 2, 3]], frame)
    with pytest.raises(DataError, match="column 'a' has a value that cannot be read"):
        parse_baseline([["x", 2]], frame)
    with pytest.raises(ConfigError, match="'features' JMESPath is required"):
        parse_baseline([{"features": [1, 2]}], frame, dataset_type="application/jsonlines")
    with pytest.raises(DataError, match="row 0: the features JMESPath 'features' gave None"):
        parse_baseline([{"x": [1, 2]}], frame, dataset_type="application/jsonlines", features="features")
    with pytest.raises(ConfigError, match="cannot be read for dataset_type 'image/png'"):
        parse_baseline([[1, 2]], frame, dataset_type="image/png")
    with pytest.raises(DataError, match="is empty"):
        parse_baseline([], frame)


@pytest.mark.slow  # tens of seconds on a loaded 2-core machine
def test_adult_auto_baseline_is_fast_and_valid():
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "data" / "adult" / "adult_train.csv"
    if not path.exists():
        import runpy
        runpy.run_path(str(path.parents[2] / "scripts" / "fetch_datasets.py"), run_name="fetch")["fetch"](path.parents[1])
    frame = pd.read_csv(path).drop(columns=["Target"])
    base = auto_baseline(frame, 10, seed=0)
    assert len(base.rows) == 10
    for col in frame.columns:
        assert set(base.rows[col].dropna()) <= set(frame[col].dropna())
