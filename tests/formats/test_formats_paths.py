"""JSON responses in bulk: simple JMESPath paths on the fast path give exactly what jmespath.search
gives, and JSON Lines decoding what json.loads per line gives, on random input."""
from __future__ import annotations

import json

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.paths import _simple_steps, compile_path
from analyzer.formats.json_lines import json_lines

KEYS = st.sampled_from(["score", "label", "a", "b", "predictions"])
LEAVES = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=3)
DOCUMENTS = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                         max_leaves=20)
STEP = st.sampled_from([".score", ".label", ".a", ".b", ".predictions", "[0]", "[1]", "[-1]", "[*]"])


@st.composite
def paths(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from(["score", "a", "predictions", "[0]", "[*]", "[-1]"]))
    return first + "".join(draw(st.lists(STEP, max_size=4)))


@settings(max_examples=400, deadline=None)
@given(path=paths(), document=DOCUMENTS)
def test_fast_path_matches_jmespath(path: str, document: object) -> None:
    assert compile_path(path)(document) == jmespath.search(path, document)


@pytest.mark.parametrize("path", ["score", "a.b", "[0]", "predictions[*].label", "a[*].b[0]"])
def test_common_paths_take_the_fast_path(path: str) -> None:
    assert _simple_steps(path) is not None


@pytest.mark.parametrize("path", ["a[*][*]", "a || b", "a[?x > `1`]", '"quoted"', "a.b | c", "length(a)", "*.a"])
def test_other_expressions_go_to_jmespath(path: str) -> None:
    assert _simple_steps(path) is None
    assert compile_path(path)({"a": [{"x": 2, "b": 1}], "b": 3}) == jmespath.search(
        path, {"a": [{"x": 2, "b": 1}], "b": 3})


def test_invalid_expressions_still_fail() -> None:
    with pytest.raises(jmespath.exceptions.JMESPathError):
        compile_path("a[")


LINE = st.sampled_from(['{"score":0.5}', "1", " [1,2] ", "1,2", "[3", "4]", "{", "NaN", "\ufeff1", '"a"x', "\t{}\r",
                        '{"a":1,"a":2}', "tru", "1e400", "", "  ", "\u00a01", "-0", '{"x":"\\u00e9"}'])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINE | st.text(alphabet='{}[]",:1a .e-', max_size=6), max_size=6))
def test_json_lines_match_json_loads_per_line(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        want: object = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError as exc:
        want = str(exc)
    try:
        got: object = json_lines(text)
    except ValueError as exc:
        got = str(exc)
    assert repr(got) == repr(want)
