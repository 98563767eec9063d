"""The survey in parts (analyzer.stages.survey: survey_part, merge_surveys) equals the survey of all the
chunks in one pass: rows, column types (ints and floats across parts are floats, other mixes refused),
numeric ranges and counts, categories in first-seen order, kept feature columns in order."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from analyzer.stages.survey import MixedTypes, Survey, merge_surveys, survey, survey_part


def _chunks() -> list[pd.DataFrame]:
    """Chunks as a CSV reader types them: 'i' has no missing value in some chunks (ints) and some in
    others (floats); 's' meets new categories late; 'n' is missing in a whole chunk."""
    rng = np.random.default_rng(2)
    out = []
    for k, rows in enumerate([5, 1, 7, 3, 9, 4]):
        i = rng.integers(-3, 9, rows)
        n = rng.normal(0, 2, rows) if k != 2 else np.full(rows, np.nan)
        s = rng.choice(["b", "a"] if k < 3 else ["c", "a", "d"], rows)
        frame = pd.DataFrame({"i": i, "n": n, "s": pd.Series(s, dtype=object), "y": rng.integers(0, 2, rows)})
        if k % 2:
            frame["i"] = frame["i"].astype(float)
            frame.loc[0, "i"] = np.nan
        out.append(frame)
    return out


def _same(a: Survey, b: Survey) -> None:
    assert (a.rows, a.dtypes, a.seen, a.numeric) == (b.rows, b.dtypes, b.seen, b.numeric)
    assert [list(c.items()) for c in a.categories.values()] == [list(c.items()) for c in b.categories.values()]
    assert list(a.categories) == list(b.categories)
    pd.testing.assert_frame_equal(a.features(), b.features())


@pytest.mark.parametrize("cuts", [[3], [1, 2, 5], [0, 6], [1, 2, 3, 4, 5]])
def test_parts_merged_in_record_order_equal_one_pass(cuts: list[int]) -> None:
    chunks = _chunks()
    columns, grid, keep = ["i", "n", "s", "y"], ["i", "n", "s"], ["i", "n", "s"]
    whole = survey(iter(chunks), columns, grid, keep)
    bounds = [0, *cuts, len(chunks)]
    parts = [pickle.loads(pickle.dumps(survey_part(iter(chunks[a:b]), columns, grid, keep)))
             for a, b in zip(bounds[:-1], bounds[1:])]
    assert all(not part.dtypes for part in parts)   # decided once, over every part
    _same(merge_surveys(parts), whole)
    every = pd.concat(chunks, ignore_index=True)         # what one read of the data gives
    assert whole.dtypes["i"] == np.float64 and whole.rows == len(every)
    assert whole.categories["s"] == dict(every["s"].value_counts(sort=False))
    assert list(whole.categories["s"]) == list(pd.unique(every["s"]))
    assert whole.numeric["n"] == [every["n"].min(), every["n"].max(), every["n"].notna().sum()]


def test_a_mix_only_the_parts_together_show_is_refused() -> None:
    ints = survey_part(iter([pd.DataFrame({"x": [1, 2]})]), ["x"], [], None)
    text = survey_part(iter([pd.DataFrame({"x": ["a", "b"]})]), ["x"], [], None)
    assert merge_surveys([ints]).dtypes["x"] == np.int64
    with pytest.raises(MixedTypes, match="column 'x' reads as"):
        merge_surveys([ints, text])


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_a_chunk_where_a_column_is_all_missing_takes_the_whole_read_type(rows: int) -> None:
    """pandas types an all-missing chunk float64 whatever the column holds: a text column stays text and
    an int column becomes float, as read whole; the typed chunks are the whole read's columns."""
    import io

    text = "t,i,f\n" + "".join(f"{'x' if k % 4 == 0 else ''},{k if k < 6 else ''},{k / 2}\n" for k in range(12))
    whole = pd.read_csv(io.StringIO(text))
    with pd.read_csv(io.StringIO(text), chunksize=rows) as reader:
        chunks = list(reader)
    assert any(c["t"].dtype == np.float64 for c in chunks)   # some chunk holds no text at all
    found = survey(chunks, ["t", "i", "f"], [], None)
    typed = pd.concat([found.typed(c) for c in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(typed, whole)


def test_an_all_missing_chunk_does_not_hide_a_mix_that_stays_refused() -> None:
    chunks = [pd.DataFrame({"b": [True, False]}), pd.DataFrame({"b": [np.nan]})]
    with pytest.raises(MixedTypes, match="'b'"):
        survey(chunks, ["b"], [], None)
