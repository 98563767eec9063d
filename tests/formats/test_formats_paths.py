"""Simple JMESPath paths on the fast path give exactly what jmespath.search gives, on random documents."""
from __future__ import annotations

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.paths import _simple_steps, compile_path

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
