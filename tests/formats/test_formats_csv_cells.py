"""The bulk CSV response reader gives the same cells as the general reader, on random responses."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.csv_cells import (
    _NEEDS_READER,
    _arrow_columns,
    _split_columns,
    csv_columns,
    csv_rows,
    is_numeric,
)
from analyzer.formats.responses import ResponseCodec

CELL = (st.integers(-10**20, 10**20).map(str) | st.floats(allow_nan=True).map(repr)
        | st.sampled_from(["yes", "no", ">50K", " 1", "2 ", "1_0", "nan", "inf", "", "1e3", "0x1", "-0"])
        | st.text(alphabet="ab ,.-_19\n\"[]", max_size=4))


@st.composite
def responses(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 3))
    kinds = [draw(st.sampled_from(["int", "float", "any"])) for _ in range(width)]
    strategy = {"int": st.integers(-1000, 1000).map(str), "float": st.floats(allow_nan=True).map(repr), "any": CELL}
    rows = draw(st.lists(st.tuples(*(strategy[k] for k in kinds)), min_size=1, max_size=6))
    return "\n".join(",".join(row) for row in rows) + draw(st.sampled_from(["", "\n"]))


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) if a != a or b != b else a == b  # type: ignore[arg-type]
    return type(a) is type(b) and a == b


@settings(max_examples=400, deadline=None)
@given(text=responses())
def test_bulk_columns_match_the_general_reader(text: str) -> None:
    columns = csv_columns(text)
    if columns is None:
        return
    rows = csv_rows(text)
    bulk = [list(row) for row in zip(*(c.tolist() if isinstance(c, np.ndarray) else c for c in columns))]
    assert len(bulk) == len(rows)
    for got, want in zip(bulk, rows):
        assert len(got) == len(want)
        for column, g, w in zip(columns, got, want):
            # A numeric column is converted at once: a cell the general reader reads as int may be
            # a float there (numpy makes the mixed column float either way).
            assert _same(float(g), float(w)) if isinstance(column, np.ndarray) and column.dtype.kind == "f" \
                else _same(g, w)
        assert all(is_numeric(c) for c in columns) == all(isinstance(v, (int, float)) for r in rows for v in r)


def _general(codec: ResponseCodec, text: str, expected: int) -> tuple:
    import analyzer.formats.responses as responses
    original = responses.csv_columns
    responses.csv_columns = lambda _text: None
    try:
        output = codec.decode(text.encode(), expected)
    finally:
        responses.csv_columns = original
    return output


@settings(max_examples=300, deadline=None)
@given(text=responses(), label=st.sampled_from([None, 0, 1, -1, 3]), probability=st.sampled_from([None, 0, 1, 2]))
def test_decoder_matches_the_general_reader(text: str, label: int | None, probability: int | None) -> None:
    codec = ResponseCodec("text/csv", label=label, probability=probability)
    expected = len([r for r in csv_rows(text)])
    outcomes = []
    for decode in (lambda: codec.decode(text.encode(), expected), lambda: _general(codec, text, expected)):
        try:
            outcomes.append(decode())
        except Exception as exc:  # noqa: BLE001 - the same error either way
            outcomes.append(f"{type(exc).__name__}: {exc}")
    fast, general = outcomes
    if isinstance(general, str) or isinstance(fast, str):
        assert fast == general
        return
    for a, b in ((fast.scores, general.scores), (fast.labels, general.labels)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and a.shape == b.shape
            if a.dtype == object:   # lists per record: NaN inside a list is not equal to itself
                assert repr(a.tolist()) == repr(b.tolist())
            else:
                np.testing.assert_array_equal(a, b)
    assert fast.score_names == general.score_names


def test_blank_and_blank_looking_lines_between_scores_are_skipped() -> None:
    """The numeric fast path converts all lines at once; blank-looking lines ("  ", "\\t") fail that
    conversion and are then dropped, as blank lines are: the same scores either way."""
    codec = ResponseCodec(accept_type="text/csv")
    plain = codec.decode(b"0.25\n0.5\n0.75\n", 3).scores
    for body in (b"0.25\n\n0.5\n0.75\n", b"0.25\n  \n0.5\n\t\n0.75\n", b" 0.25\n0.5 \n0.75"):
        assert np.array_equal(codec.decode(body, 3).scores, plain)
    assert codec.decode(b"0.1,0.9\n \n0.6,0.4\n", 2).scores.tolist() == [[0.1, 0.9], [0.6, 0.4]]


@settings(max_examples=300, deadline=None)
@given(text=responses())
def test_arrow_columns_match_the_split_columns(text: str) -> None:
    """All-number responses read by Arrow give the arrays (values and dtypes) of the split path."""
    if any(mark in text for mark in _NEEDS_READER):
        return
    found = _arrow_columns(text)
    if found is None:
        return
    split = _split_columns(text)
    assert split is not None and len(found) == len(split)
    for got, want in zip(found, split):
        assert isinstance(want, np.ndarray) and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_usual_score_responses_take_the_arrow_path() -> None:
    scores = np.random.default_rng(1).random(3000).tolist()
    labels, found = _arrow_columns("".join(f"{int(s > 0.5)},{s!r}\n" for s in scores))
    assert found.tolist() == scores and labels.tolist() == [int(s > 0.5) for s in scores]
    assert _arrow_columns("1,+1\n2,3\n") is None   # "+1" is an int to the split path, a double to Arrow
