"""Bias from counted distinct rows (analyzer.bias.counts + run_bias(weights=...)) equals bias on the rows.

The reference is the row-by-row path (itself checked against smclarify and by hand elsewhere); the
frames mix the cases counting could get wrong: missing values in every column, facet values absent from
some chunks, one-vs-rest facets, continuous thresholds, a group variable, and FlipTest."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.bias import ColumnValues, DistinctRows, FacetSpec, Groups, TooManyDistinct, run_bias
from analyzer.bias import counts as counts_module
from analyzer.bias.pretraining import conditional_demographic_disparity
from analyzer.output import to_json_text

ROLES = ["facet", "age", "group", "label", "pred"]


def _frame(seed: int, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    facet = rng.choice(np.array(["A", "B", "C", "D"], dtype=object), n, p=[0.05, 0.25, 0.3, 0.4])
    facet[rng.random(n) < 0.05] = None
    group = rng.integers(0, 6, n).astype(float)
    group[rng.random(n) < 0.05] = np.nan
    frame = pd.DataFrame({
        "facet": facet, "age": rng.integers(18, 90, n), "group": group, "label": label,
        "pred": np.where(rng.random(n) < 0.8, label, 1 - label),
        "x": rng.normal(size=n).round(3), "z": rng.integers(0, 5, n),
    })
    frame.loc[frame.index[-50:], "facet"] = "E"      # a value only the last chunk holds
    return frame


def _counted(frame: pd.DataFrame, chunk: int, keep_rows: bool = False):
    rows = DistinctRows([ColumnValues(name) for name in ROLES], keep_rows=keep_rows)
    for start in range(0, len(frame), chunk):
        rows.add(frame.iloc[start:start + chunk])
    return rows, *rows.finish()


def _both(frame: pd.DataFrame, chunk: int, stage: str, facets: list[FacetSpec], **kwargs):
    common = dict(stage=stage, label="label", label_values=[1], facets=facets, group_variable="group",
                  predicted_label="pred" if stage == "post_training" else None, **kwargs)
    whole = run_bias(frame, **common)
    counter, distinct, weights, data_rows = _counted(frame, chunk, keep_rows=True)
    ft_rows = (frame.drop(columns=["label", "pred"]).reset_index(drop=True), data_rows)
    counted = run_bias(distinct, weights=weights, ft_rows=ft_rows, **common)
    assert counter.total == len(frame) == int(weights.sum())
    return whole, counted


@pytest.mark.parametrize("seed,chunk", [(0, 7), (1, 64), (2, 600)])
@pytest.mark.parametrize("stage", ["pre_training", "post_training"])
def test_counted_rows_give_the_same_section_and_statistics(seed: int, chunk: int, stage: str) -> None:
    facets = [FacetSpec("facet"), FacetSpec("age", (40,)), FacetSpec("facet", ("A", "E"))]
    whole, counted = _both(_frame(seed), chunk, stage, facets)
    assert to_json_text(counted.section) == to_json_text(whole.section)
    assert counted.groups == whole.groups
    assert counted.performance == whole.performance
    assert counted.label_distribution == whole.label_distribution
    assert (counted.rows, counted.warnings) == (whole.rows, whole.warnings)


def test_flip_test_reads_the_data_rows() -> None:
    """FT needs rows: its features come from ``ft_rows``, its masks through the row → distinct map."""
    frame = _frame(3).drop(columns=["facet"]).assign(facet=lambda f: np.where(f["z"] > 2, "u", "v"),
                                                     group=lambda f: f["group"].fillna(9))  # k-NN: no NaN
    whole, counted = _both(frame, 50, "post_training", [FacetSpec("facet", ("u",))], methods=["FT", "DPPL"])
    ft = [m for m in whole.section["facets"]["facet"][0]["metrics"] if m["name"] == "FT"][0]
    assert isinstance(ft["value"], float) and ft["value"] != 0     # FT really ran
    assert to_json_text(counted.section) == to_json_text(whole.section)


def test_weighted_groups_equal_repeated_rows() -> None:
    facet, label, pred = np.array([1, 0, 1, 0], bool), np.array([1, 1, 0, 0], bool), np.array([1, 0, 0, 1], bool)
    group, weights = np.array([0, 1, 1, -1]), np.array([3, 1, 4, 2])
    weighted = Groups.build(facet, label, pred, group, 2, weights=weights)
    repeated = Groups.build(*(np.repeat(a, weights) for a in (facet, label, pred, group)), n_group_codes=2)
    assert weighted.n == repeated.n == 10
    assert (weighted.cells == repeated.cells).all()
    for outcome in ("label", "pred"):
        assert conditional_demographic_disparity(weighted, getattr(weighted, outcome)) == pytest.approx(
            conditional_demographic_disparity(repeated, getattr(repeated, outcome)), abs=1e-15)


def test_column_types_combine_as_concatenated_chunks() -> None:
    """int chunk + float chunk → float (1 and 1.0 one value); a text chunk → object with both kinds."""
    column = ColumnValues("v")
    column.encode(pd.Series([1, 2, 1]))
    column.encode(pd.Series([1.0, np.nan]))
    values, index = column.finish()
    assert values.dtype == np.float64 and values.tolist()[:2] == [1.0, 2.0] and np.isnan(values[2])
    assert index.tolist() == [0, 1, 2]
    column.encode(pd.Series(["x"], dtype=object))
    values, _ = column.finish()
    assert values.dtype == object and values.tolist()[-1] == "x"


def test_a_typer_types_the_distinct_values_together() -> None:
    column = ColumnValues("v", typer=lambda raw: pd.to_numeric(raw))
    codes = [column.encode(pd.Series(["1", "01"], dtype=object)), column.encode(pd.Series(["2", "1"], dtype=object))]
    values, index = column.finish()
    assert values.tolist() == [1, 2]                      # "1" and "01" are both 1 once typed
    assert index[np.concatenate(codes)].tolist() == [0, 0, 1, 0]


def test_too_many_distinct_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts_module, "MAX_DISTINCT", 10)
    rows = DistinctRows([ColumnValues("a"), ColumnValues("b")])
    rows.add(pd.DataFrame({"a": np.arange(5), "b": np.arange(5)}))
    rows.add(pd.DataFrame({"a": np.arange(5), "b": np.roll(np.arange(5), 1)}))   # 10 combinations: at the cap
    with pytest.raises(TooManyDistinct, match="distinct combinations of a, b"):
        rows.add(pd.DataFrame({"a": [0], "b": [2]}))
    with pytest.raises(TooManyDistinct, match="column 'a'"):
        ColumnValues("a").encode(pd.Series(np.arange(11)))
