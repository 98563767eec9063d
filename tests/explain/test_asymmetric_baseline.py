"""Baselines of the asymmetric Shapley game: zero and the item's own mean per series, static covariate
values per item (players only with fine_grained), a baseline file matched by item id; each bad baseline
named."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analyzer.data import SeriesItem, TimeSeriesData
from analyzer.errors import ConfigError, DataError
from analyzer.explain import load_baselines

A = SeriesItem("a", (1, 2, 3), np.array([1.0, 3.0]), np.array([[2.0, 0.0], [4.0, 1.0], [6.0, 2.0]]), (5,))
B = SeriesItem(7, (1, 2), np.array([10.0, 20.0]), np.array([[1.0, 1.0], [3.0, 3.0]]), (9,))
DATA = TimeSeriesData((A, B), "y", ("r1", "r2"), ("u",))
TS = {"dataset_format": "timestamp_records", "item_id": "[].id", "timestamp": "[].t", "target_time_series": "[].y",
      "related_time_series": ["[].r1", "[].r2"], "static_covariates": ["[].u"]}


def test_zero_is_the_default_and_mean_is_the_items_own() -> None:
    zero = load_baselines(None, DATA, "timewise", TS, None).of(A)
    assert zero.target.tolist() == [0.0, 0.0] and not zero.related.any() and zero.static is None
    mean = load_baselines({"target_time_series": "MEAN", "related_time_series": "mean"}, DATA, "timewise", TS,
                          None).of(A)
    assert mean.target.tolist() == [2.0, 2.0]
    np.testing.assert_array_equal(mean.related, [[4.0, 1.0]] * 3)


def test_static_values_are_used_only_with_fine_grained_and_match_item_ids_as_text() -> None:
    spec = {"static_covariates": {"a": [0], "7": [1]}}
    assert load_baselines(spec, DATA, "timewise", TS, None).of(B).static is None
    fine = load_baselines(spec, DATA, "fine_grained", TS, None)
    assert fine.of(A).static == (0,) and fine.of(B).static == (1,)


@pytest.mark.parametrize("spec,text", [
    ({"target_time_series": "median"}, "target_time_series: 'median' is not one of zero, mean"),
    ({"static_covariates": {"a": [0]}}, "no list of values for item 7"),
    ({"static_covariates": {"a": [0, 1], "7": [1]}}, "item 'a' has 2 values for 1 static covariates"),
    ({"static_covariates": [1]}, "expected an object"),
    (5, "expected an object or a file URI"),
])
def test_bad_baselines_are_config_errors(spec, text: str) -> None:
    with pytest.raises(ConfigError, match=text):
        load_baselines(spec, DATA, "fine_grained", TS, None)


def test_static_baseline_without_static_covariates_is_refused() -> None:
    data = TimeSeriesData((A,), "y", ("r1", "r2"), ())
    with pytest.raises(ConfigError, match="names no static_covariates"):
        load_baselines({"static_covariates": {"a": [1]}}, data, "fine_grained", TS, None)


def _file(tmp_path: Path, rows: list[dict]) -> str:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(rows))
    return str(path)


def _rows(item: SeriesItem, scale: float) -> list[dict]:
    return [{"id": item.item_id, "t": t, "y": (float(item.target[i]) * scale if i < len(item.target) else None),
             "r1": float(item.related[i, 0]) * scale, "r2": float(item.related[i, 1]) * scale,
             "u": item.static[0] * scale} for i, t in enumerate(item.timestamps)]


def test_a_baseline_file_gives_each_items_series_and_static_values(tmp_path: Path) -> None:
    uri = _file(tmp_path, _rows(A, 0.5) + _rows(B, 2.0))
    base = load_baselines(uri, DATA, "fine_grained", TS, None)
    assert base.of(A).target.tolist() == [0.5, 1.5] and base.of(B).static == (18.0,)
    np.testing.assert_array_equal(base.of(B).related, B.related * 2)


def test_a_baseline_file_missing_an_item_or_steps_names_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="has no item 7"):
        load_baselines(_file(tmp_path, _rows(A, 1.0)), DATA, "timewise", TS, None)
    short = _rows(A, 1.0) + _rows(B, 1.0)[:1]
    with pytest.raises(DataError, match="item 7 has 1 target and 1 related steps"):
        load_baselines(_file(tmp_path, short), DATA, "timewise", TS, None)
