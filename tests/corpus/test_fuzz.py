"""Property-based fuzzing: the config loader, ``validate``, every reader and the response decoders
raise only our error types (or succeed), quickly, whatever they are given.

CI runs FUZZ_EXAMPLES examples per target (>= 10,000 in all); set ANALYZER_FUZZ_EXAMPLES for a
longer run.
"""
from __future__ import annotations

import json
import os
import string
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.config import validate
from analyzer.config.loader import apply_overrides, parse_config, parse_json_text
from analyzer.data.csv_reader import read_csv
from analyzer.data.json_reader import read_json, read_jsonlines
from analyzer.data.parquet_reader import read_parquet
from analyzer.errors import AnalyzerError
from analyzer.formats.responses import ResponseCodec, ResponseError
from corpus_base import BIAS

FUZZ_EXAMPLES = int(os.environ.get("ANALYZER_FUZZ_EXAMPLES", "2000"))  # 5 x 2000 + 200 Parquet = 10,200
pytestmark = pytest.mark.slow
SLOWEST_S = 2.0
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

KEYS = ["dataset_type", "label", "facet", "methods", "predictor", "headers", "features", "probability_threshold",
        "label_values_or_threshold", "name_or_index", "value_or_threshold", "pre_training_bias", "shap",
        "num_samples", "grid_resolution", "endpoint_url", "max_payload_mb", "pdp", "baseline", "report", "name"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["text/csv", "all", "CI", "C\u0130", "\u212aS", "1e308"]))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children,
                                                    max_size=5)), max_leaves=25)


def _timed(call, *args):
    started = time.monotonic()
    try:
        call(*args)
    except AnalyzerError:
        pass
    assert time.monotonic() - started < SLOWEST_S


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8), st.booleans())
def test_fuzz_config(raw: dict, on_base: bool) -> None:
    config = {**BIAS, **raw} if on_base else raw
    _timed(lambda: validate(config))
    _timed(lambda: parse_config(apply_overrides(config, dataset_type="text/csv", methods=("shap",))))


@FUZZ
@given(st.text(alphabet=string.printable + "{}[]\":,\u0130\ufeff", max_size=200))
def test_fuzz_config_text(text: str) -> None:
    _timed(lambda: parse_json_text(text, "fuzz"))


def _csv_cell() -> st.SearchStrategy:
    return st.text(alphabet=string.ascii_letters + string.digits + ' ,"\n\r.-\ufeff\x00', max_size=12)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(st.binary(max_size=300) | st.lists(st.lists(_csv_cell(), max_size=5), max_size=6).map(
    lambda rows: "\n".join(",".join(r) for r in rows).encode()), st.sampled_from([None, ["a", "b"]]))
def test_fuzz_csv_reader(scratch: Path, data: bytes, headers: list | None) -> None:
    path = scratch / "data.csv"
    path.write_bytes(data)
    _timed(read_csv, [path], headers)


@FUZZ
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()), st.booleans())
def test_fuzz_json_readers(scratch: Path, data: bytes, lines: bool) -> None:
    path = scratch / ("data.jsonl" if lines else "data.json")
    path.write_bytes(data + (b"\n" + data if lines else b""))
    reader = read_jsonlines if lines else read_json
    _timed(lambda: reader([path], features="features", label="label", predicted_label=None, headers=None))


@settings(max_examples=max(20, FUZZ_EXAMPLES // 10), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400))
def test_fuzz_parquet_reader(scratch: Path, data: bytes) -> None:
    path = scratch / "data.parquet"
    path.write_bytes(b"PAR1" + data + b"PAR1")
    _timed(read_parquet, [path], None)


@FUZZ
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()),
       st.sampled_from(["text/csv", "application/jsonlines", "application/json"]),
       st.sampled_from([(None, None), (0, 1), ("label", "score"), ("[*].x", None), (None, "scores[0]")]),
       st.integers(1, 4))
def test_fuzz_response_decoders(body: bytes, accept: str, keys: tuple, expected: int) -> None:
    label, probability = keys
    if accept == "text/csv" and isinstance(label, str) or accept != "text/csv" and isinstance(label, int):
        label, probability = None, None
    codec = ResponseCodec(accept_type=accept, label=label, probability=probability)
    started = time.monotonic()
    try:
        codec.decode(body, expected)
    except (ResponseError, AnalyzerError):
        pass
    assert time.monotonic() - started < SLOWEST_S
