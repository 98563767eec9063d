"""JSON Lines responses with plain field paths read by Arrow (json_lines.json_fields) decode exactly
as the general reader (json.loads per line + JMESPath) does, on random responses: the same arrays
(values and dtypes), or the same error."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats import json_lines as json_lines_module
from analyzer.formats import responses
from analyzer.formats.responses import ResponseCodec

VALUES = (st.none() | st.booleans() | st.integers(-3, 3) | st.integers(-2**70, 2**70)
          | st.floats(allow_nan=True, allow_infinity=False) | st.text(alphabet="ab\"\\é\ud800\n", max_size=3)
          | st.lists(st.integers(0, 2), max_size=2))
NUMBERS = st.integers(-3, 3) | st.floats(-1e6, 1e6) | st.floats(0, 1)
FIELDS = st.fixed_dictionaries({}, optional={"predicted_label": st.integers(0, 2) | VALUES,
                                             "score": NUMBERS | VALUES, "other": VALUES})


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    uniform = draw(st.booleans())   # the usual case: every line the same shape
    records = draw(st.lists(FIELDS if not uniform else st.fixed_dictionaries(
        {"predicted_label": st.integers(0, 2), "score": NUMBERS}), min_size=1, max_size=6))
    lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records]
    if draw(st.integers(0, 5)) == 0:   # what the general reader treats its own way
        position = draw(st.integers(0, len(lines)))
        lines.insert(position, draw(st.sampled_from(["", "  ", "[1]", '{"score":1} {"score":2}', "{}",
                                                      '{"score":1,"score":0.5}', "nonsense", "\r"])))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    return text.encode("utf-8", "surrogatepass")


CODECS = [ResponseCodec("application/jsonlines", "predicted_label", "score"),
          ResponseCodec("application/jsonlines", None, "score"),
          ResponseCodec("application/jsonlines", "predicted_label", None),
          ResponseCodec("application/jsonlines", None, "score", probability_key="label")]


def _outcome(codec: ResponseCodec, body: bytes, expected: int) -> tuple:
    try:
        output = codec.decode(body, expected)
    except Exception as exc:  # noqa: BLE001 - the outcome compared is the error itself
        return ("error", type(exc).__name__, str(exc))
    parts = []
    for array in (output.labels, output.scores):
        parts.append(None if array is None else (array.dtype.str, repr(array.tolist())))
    return ("ok", tuple(parts), output.score_names)


@settings(max_examples=300, deadline=None)
@given(body=bodies(), codec=st.sampled_from(CODECS), extra=st.integers(-1, 1))
def test_arrow_fields_decode_as_the_general_reader(body: bytes, codec: ResponseCodec, extra: int) -> None:
    expected = max(1, body.count(b"{") + extra)
    fast = _outcome(codec, body, expected)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(responses, "json_fields", lambda *_args: None)
        general = _outcome(codec, body, expected)
    assert fast == general


def test_usual_responses_take_the_arrow_path() -> None:
    scores = np.random.default_rng(0).random(5000).tolist()
    body = "\n".join(f'{{"predicted_label":{int(s > 0.5)},"score":{s!r}}}' for s in scores).encode()
    labels, found = json_lines_module.json_fields(body, ["predicted_label", "score"])
    assert found.tolist() == scores and labels.tolist() == [int(s > 0.5) for s in scores]
    assert json_lines_module.json_fields(b'{"label":"yes"}\n{"label":"no"}\n', ["label"]) == [["yes", "no"]]
    assert json_lines_module.json_fields(b'{"score":1}\n\n{"score":2}', ["score"]) is None   # blank line
    assert json_lines_module.json_fields(b'{"score":12345678901234567890}', ["score"]) is None   # beyond int64
