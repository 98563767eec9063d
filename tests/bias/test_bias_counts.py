"""Bias from counted distinct rows (analyzer.bias.counts + run_bias(weights=...)) equals bias on the rows.

The reference is the row-by-row path (itself checked against smclarify and by hand elsewhere); the
frames mix the cases counting could get wrong: missing values in every column, facet values absent from
some chunks, one-vs-rest facets, continuous thresholds, a group variable, and FlipTest."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.bias import ColumnValues, DistinctRows, FacetSpec, Groups, TooManyDistinct, count_part, run_bias
from analyzer.bias import counts as counts_module
from analyzer.bias.pretraining import conditional_demographic_disparity
from analyzer.data import typed_like_csv
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


# ------------------------------------------- parts: counted alone (a Dask worker), merged in data order
_POOLS = {
    "int": [0, 1, 2, 7], "float": [0.0, 1.0, 1.5, np.nan, -0.0], "bool": [True, False],
    "object": ["A", "B", None, 1, 1.0, True, np.nan], "text": ["0", "1", "1.0", "x", "True", None, " 1"],
}


@st.composite
def _chunks(draw: st.DrawFn) -> list[pd.DataFrame]:
    """Chunks of three columns whose kinds change from chunk to chunk (ints then floats with NaN, bools,
    mixed objects, empty chunks of a new type); ``t`` is text read from CSV (typed at the end)."""
    chunks = []
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.sampled_from([0, 1, 2, 5, 13]))
        data = {}
        for name in ("a", "b"):
            kind = draw(st.sampled_from(["int", "float", "bool", "object"]))
            values = draw(st.lists(st.sampled_from(_POOLS[kind]), min_size=n, max_size=n))
            data[name] = pd.Series(values, dtype=object if kind == "object" else None)
            if kind == "object" or (kind == "int" and n == 0):
                data[name] = data[name].astype(object if kind == "object" else np.int64)
        data["t"] = pd.Series(draw(st.lists(st.sampled_from(_POOLS["text"]), min_size=n, max_size=n)), dtype=object)
        chunks.append(pd.DataFrame(data))
    return chunks


def _value(value: object) -> object:
    return "<missing>" if pd.isna(value) else value


def _counter(keep_rows: bool) -> DistinctRows:
    return DistinctRows([ColumnValues("a"), ColumnValues("b"), ColumnValues("t", typed_like_csv)], keep_rows)


@settings(max_examples=60, deadline=None)
@given(chunks=_chunks())
def test_parts_pickled_and_merged_give_the_concatenated_rows(chunks: list[pd.DataFrame]) -> None:
    """The reference is independent of the counting: the chunks concatenated (the text column typed
    from all its values), each data row's distinct row must be that row, in order of first appearance,
    counted as often as it occurs; without rows kept, the same distinct rows and counts."""
    merged, lean = _counter(True), _counter(False)
    for chunk in chunks:
        part = pickle.loads(pickle.dumps(count_part(chunk, ["a", "b", "t"], keep_rows=True)))
        assert part.total == len(chunk)
        merged.add_part(part)
        lean.add_part(count_part(chunk, ["a", "b", "t"]))
    assert merged.total == lean.total == sum(map(len, chunks))
    if not merged.total:
        return   # no rows: the readers refuse such a dataset before any counting
    distinct, weights, rows = merged.finish()
    rows_read = [c for c in chunks if len(c)]    # column by column: a frame's concat makes [0] + [True] ints
    whole = pd.DataFrame({n: pd.concat([c[n] for c in rows_read], ignore_index=True) for n in ["a", "b", "t"]})
    whole["t"] = typed_like_csv(whole["t"])
    expanded = distinct.take(rows).reset_index(drop=True)
    assert list(expanded.dtypes) == list(whole.dtypes)
    for name in whole.columns:    # missing values are one value (None, NaN: pandas groups them together)
        assert [_value(v) for v in expanded[name]] == [_value(v) for v in whole[name]]
    assert weights.tolist() == np.bincount(rows).tolist() and rows.dtype == np.int32
    assert (np.unique(rows, return_index=True)[1] == np.sort(np.unique(rows, return_index=True)[1])).all()
    distinct_lean, weights_lean, none = lean.finish()
    pd.testing.assert_frame_equal(distinct_lean, distinct)
    assert weights_lean.tolist() == weights.tolist() and none is None


def test_an_empty_chunk_counts_nothing_and_a_rowless_part_still_widens_a_type() -> None:
    """``add`` skips an empty chunk; a chunk of known values read as a new type (floats after ints)
    changes the column's type, through its part as through the chunk."""
    ints, floats = pd.DataFrame({"v": [1, 2]}), pd.DataFrame({"v": [2.0, 1.0]})
    for add in ("add", "add_part"):
        rows = DistinctRows([ColumnValues("v")])
        for chunk in (ints, pd.DataFrame({"v": pd.Series([], dtype=object)}), floats):
            getattr(rows, add)(chunk if add == "add" else count_part(chunk, ["v"]))
        values, weights, _ = rows.finish()
        assert values["v"].dtype == np.float64 and values["v"].tolist() == [1.0, 2.0] and weights.tolist() == [2, 2]


def test_parts_carry_the_chunks_distinct_rows_only() -> None:
    chunk = pd.DataFrame({"a": ["x", None, "x", "y", np.nan], "b": [1, 2, 1, 1, 2]})
    part = count_part(chunk, ["a", "b"], keep_rows=True)
    assert part.values[0].tolist()[0] == "x" and pd.isna(part.values[0].tolist()[1]) and len(part.values[0]) == 3
    assert part.combinations.tolist() == [[0, 0], [1, 1], [2, 0]]
    assert part.counts.tolist() == [2, 2, 1] and part.rows.tolist() == [0, 1, 0, 2, 1] and part.total == 5


def test_a_part_for_other_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        DistinctRows([ColumnValues("a")]).add_part(count_part(pd.DataFrame({"b": [1]}), ["b"]))
    with pytest.raises(ValueError, match="does not fit"):
        DistinctRows([ColumnValues("a")], keep_rows=True).add_part(count_part(pd.DataFrame({"a": [1]}), ["a"]))


def test_too_many_distinct_values_are_refused_from_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts_module, "MAX_DISTINCT", 10)
    rows = DistinctRows([ColumnValues("a"), ColumnValues("b")])
    rows.add_part(count_part(pd.DataFrame({"a": np.arange(5), "b": np.arange(5)}), ["a", "b"]))
    rows.add_part(count_part(pd.DataFrame({"a": np.arange(5), "b": np.roll(np.arange(5), 1)}), ["a", "b"]))
    with pytest.raises(TooManyDistinct, match="distinct combinations of a, b"):
        rows.add_part(count_part(pd.DataFrame({"a": [0], "b": [2]}), ["a", "b"]))
