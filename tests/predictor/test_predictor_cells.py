"""Requests encoded in bulk (cell texts a column at a time) are byte for byte the requests of the
general path (pandas to_csv, json.dumps per row), on random frames, for every request format."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analyzer.predictor.codecs as codecs
import analyzer.predictor.encoders as encoders
from analyzer.predictor import bulk
from analyzer.predictor.cells import frame_cells
from analyzer.predictor.codecs import request_codec
from predictor_servers import analysis_config

TEXT = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t\\é€${}') + ["\u2028"]), max_size=5) | st.just("${x}")
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e16, 1e-5, 1e-4, 0.1, -0.0, 123456789.0])


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 5))
    kinds = draw(st.lists(st.sampled_from(["int", "uint8", "float", "float32", "bool", "str", "str-missing",
                                           "mixed", "pandas-str"]), min_size=1, max_size=4))
    data = {}
    for i, kind in enumerate(kinds):
        if kind == "int":
            values = pd.Series(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=rows, max_size=rows)))
        elif kind == "uint8":
            values = pd.Series(draw(st.lists(st.integers(0, 255), min_size=rows, max_size=rows)), dtype="uint8")
        elif kind in ("float", "float32"):
            width = 32 if kind == "float32" else 64
            floats = st.floats(width=width) | st.sampled_from([1e6, 1e-5, 0.1, 1e16]) if width == 32 else FLOATS
            values = pd.Series(draw(st.lists(floats, min_size=rows, max_size=rows)), dtype=f"float{width}")
        elif kind == "bool":
            values = pd.Series(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
        elif kind == "str":
            values = pd.Series(draw(st.lists(TEXT, min_size=rows, max_size=rows)), dtype=object)
        elif kind == "str-missing":
            values = pd.Series(draw(st.lists(st.none() | st.just(np.nan) | TEXT, min_size=rows, max_size=rows)),
                               dtype=object)
        elif kind == "pandas-str":
            values = pd.Series(draw(st.lists(st.none() | TEXT, min_size=rows, max_size=rows)), dtype="str")
        else:
            values = pd.Series(draw(st.lists(st.integers(0, 3) | TEXT | FLOATS, min_size=rows, max_size=rows)),
                               dtype=object)
        data[f"f{i}"] = values
    return pd.DataFrame(data)


PREDICTORS = [
    {"content_type": "text/csv"},
    {"content_type": "application/jsonlines"},
    {"content_type": "application/jsonlines", "content_template": '{"features":$features,"again":$features}'},
    {"content_type": "application/json", "content_template": "$records"},
    {"content_type": "application/json", "content_template": '{"instances":$records}',
     "record_template": "$features_kvp"},
    {"content_type": "application/json", "record_template": '{"f":$features,"n":$feature_names}'},
    {"content_type": "application/json", "record_template": '{"first":"${f0}"}'},
]


def _encoded(codec: codecs.RequestCodec, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, *,
             arrow: bool, rows: bool) -> bytes:
    """The request through the paths asked for (Arrow, rows of cell texts), else the general path."""
    with monkeypatch.context() as patch:
        if not arrow:
            patch.setattr(bulk, "csv_body", lambda *_args: None)
            patch.setattr(bulk, "json_records", lambda *_args: None)
        if not rows:
            patch.setattr(encoders, "frame_cells", lambda *_args: None)
        return codec.encode(frame)


@settings(max_examples=120, deadline=None)
@given(frame=frames(), predictor=st.sampled_from(PREDICTORS))
def test_bulk_requests_are_the_general_requests(frame: pd.DataFrame, predictor: dict) -> None:
    config = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", **predictor})
    codec = request_codec(config, list(frame.columns))
    with pytest.MonkeyPatch.context() as monkeypatch:
        general = _encoded(codec, frame, monkeypatch, arrow=False, rows=False)
        assert _encoded(codec, frame, monkeypatch, arrow=False, rows=True) == general
        assert _encoded(codec, frame, monkeypatch, arrow=True, rows=False) == general


def test_usual_columns_take_the_bulk_path() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan], "c": ["x", None], "d": [True, False]})
    assert frame_cells(frame, "csv") == [("1", "0.5", "x", "True"), ("2", "", "", "False")]
    assert frame_cells(frame, "json") == [("1", "0.5", '"x"', "true"), ("2", "null", "null", "false")]
    assert frame_cells(pd.DataFrame({"m": [1, "x"]}, dtype=object), "csv") is None


def test_a_value_that_looks_like_a_placeholder_stays_a_value() -> None:
    config = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", "content_type": "application/json",
                              "record_template": '{"f":$features}'})
    frame = pd.DataFrame({"x": ["${x}"], "y": [1]})
    assert request_codec(config, ["x", "y"]).encode(frame) == b'[{"f":["${x}",1]}]'


def test_usual_columns_take_the_arrow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adult-like columns (ints, strings, a float with a gap, bools; a string needing CSV quotes)
    are encoded by Arrow, to the general path's bytes, for every request format."""
    frame = pd.DataFrame({"age": np.arange(3000) % 90, "work": np.where(np.arange(3000) % 7, "Private", "Self-emp"),
                          "score": np.where(np.arange(3000) % 11, np.arange(3000) / 7, np.nan),
                          "flag": np.arange(3000) % 2 == 0, "note": ["a,b", "c", "é"] * 1000,
                          "big": np.arange(3000, dtype=np.int64) * 2**40 - 2**62})
    assert bulk.csv_body(frame) is not None
    assert bulk.csv_body(frame.drop(columns="note")) is not None
    assert bulk.json_records(frame, lambda cells: ",".join(cells), "\n") is not None
    for predictor in PREDICTORS[:-1]:   # the last names feature f0
        config = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", **predictor})
        codec = request_codec(config, list(frame.columns))
        assert codec.encode(frame) == _encoded(codec, frame, monkeypatch, arrow=False, rows=False), predictor


@settings(max_examples=60, deadline=None)
@given(frame=frames())
def test_frame_csv_is_to_csv(frame: pd.DataFrame) -> None:
    """What OutputWriter.write_csv writes (out.csv, baseline.csv): to_csv's text, header included."""
    assert bulk.frame_csv(frame) == frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def test_shap_values_take_the_arrow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "FILE_BLOCK_ROWS", 128)   # blocks join up to the whole file's text
    values = np.random.default_rng(2).normal(size=(500, 3)) * 0.01
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(500)], **{f"f{i}_label0": values[:, i] for i in range(3)}})
    assert bulk.csv_body(frame) is not None
    assert bulk.frame_csv(frame) == frame.to_csv(index=False).encode("utf-8")
