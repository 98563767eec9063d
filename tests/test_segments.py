"""segment_config (issue 12 item 6): segments by intervals and by values with display aliases, and
per-segment bias metrics and global SHAP values equal to a job run on that segment's rows alone."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

from analyzer.cli import main
from analyzer.errors import ConfigError
from analyzer.segments import DEFAULT_SEGMENT, parse_interval, segments_of
from model_servers import serving

GERMAN = Path(__file__).resolve().parents[1] / "data" / "german" / "german.csv"
FEATURES = ["sex", "job", "housing", "saving_accounts", "checking_account", "credit_amount", "duration",
            "purpose", "age"]


# ------------------------------------------------------------------------------------------ units

def test_intervals():
    closed = parse_interval("[1, 4]")
    assert (closed.low, closed.high, closed.closed_low, closed.closed_high) == (1, 4, True, True)
    values = pd.Series([1, 2, 4, 5])
    assert parse_interval("(1, 4]").contains(values).tolist() == [False, True, True, False]
    assert parse_interval("(-inf, 2)").contains(values).tolist() == [True, False, False, False]
    for text in ("A", "[1, 4", "1, 4", "[a, b]", 3, "[nan, 1]"):
        assert parse_interval(text) is None


def test_segments_by_interval_values_and_default():
    frame = pd.DataFrame({"age": [20, 25, 31, 40, 50, 60], "city": ["A", "B", "C", "A", "D", "B"]})
    column, segments = segments_of({"name_or_index": "age", "segments": [["[18, 30]"], ["(30, 45]", "(55, 65]"]],
                                    "display_aliases": ["young", "middle"]}, frame, 0)
    assert column == "age"
    assert [s.name for s in segments] == ["young", "middle", DEFAULT_SEGMENT]
    assert [s.mask.tolist() for s in segments] == [[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 1], [0, 0, 0, 0, 1, 0]]
    _, by_value = segments_of({"name_or_index": 1, "segments": [["A", "B"]],
                               "display_aliases": ["AB", "others"]}, frame, 0)
    assert [s.name for s in by_value] == ["AB", "others"]
    assert by_value[0].mask.tolist() == [1, 1, 0, 1, 0, 1] and by_value[1].mask.tolist() == [0, 0, 1, 0, 1, 0]


def test_integer_categories_match_their_text():
    frame = pd.DataFrame({"job": [0, 1, 2, 3]})
    _, segments = segments_of({"name_or_index": "job", "segments": [[1, "2"]]}, frame, 0)
    assert segments[0].name == "1, 2" and segments[0].mask.tolist() == [False, True, True, False]


@pytest.mark.parametrize("entry,message", [
    ({"name_or_index": "nope", "segments": [["A"]]}, "segment_config[0].name_or_index: column 'nope' not found"),
    ({"name_or_index": "age", "segments": [["A"]], "display_aliases": ["a", "b", "c"]},
     "segment_config[0].display_aliases: give 1 names"),
    ({"name_or_index": "age", "segments": [["[1, 2]", 5]]}, "segment_config[0].segments[0]: mixes interval"),
])
def test_config_mistakes_name_the_key(entry: dict, message: str):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        segments_of(entry, pd.DataFrame({"age": [1, 2]}), 0)


# ------------------------------------------------------------------------------------ whole jobs

def _respond(body: str, kind: str) -> tuple[str, None]:
    """CSV rows of FEATURES in, one score out: a fixed logistic function of age, duration, amount."""
    scores = []
    for row in csv.reader(io.StringIO(body)):
        if row:
            amount, duration, age = float(row[5]), float(row[6]), float(row[8])
            z = (age - 33) / 9 - (duration - 20) / 11 - (amount - 3000) / 4000
            scores.append(1 / (1 + math.exp(-z)))
    return "".join(f"{s}\n" for s in scores), None


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with serving(_respond) as url:
        yield url


def _config(url: str, segments: list | None = None) -> dict:
    config = {"dataset_type": "text/csv", "label": "risk", "label_values_or_threshold": [1],
              "label_data_type": "categorical",
              "facet": [{"name_or_index": "sex", "value_or_threshold": ["female"]}],
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                          "shap": {"baseline": [["male", 2, "own", "little", "little", 2500, 18, "car", 35]],
                                   "features_to_explain": ["credit_amount", "duration", "age"],
                                   "save_local_shap_values": False}},
              "predictor": {"endpoint_url": url}, "probability_threshold": 0.55}
    if segments is not None:
        config["segment_config"] = segments
    return config


def _job(tmp_path: Path, name: str, config: dict, frame: pd.DataFrame) -> dict:
    root = tmp_path / name
    root.mkdir()
    frame.to_csv(root / "data.csv", index=False)
    (root / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(root / "config.json"), "--data", str(root / "data.csv"), "--output",
                 str(root / "out"), "--base-dir", str(root / "opt_ml")])
    assert code == 0, (root / "opt_ml" / "output" / "message").read_text()
    return json.loads((root / "out" / "analysis.json").read_text())


SEGMENTS = [
    {"config_name": "age bands", "name_or_index": "age", "segments": [["[18, 30]"], ["(30, 45]"]],
     "display_aliases": ["young", "middle", "older"]},
    {"name_or_index": "housing", "segments": [["own"], ["rent", "free"]]},
]


@pytest.mark.slow
def test_each_segment_equals_a_job_on_its_rows_alone(tmp_path: Path, model_url: str):
    if not GERMAN.exists():
        pytest.skip(f"{GERMAN} is missing; run `make data`")
    frame = pd.read_csv(GERMAN, nrows=400)
    whole = _job(tmp_path, "whole", _config(model_url, SEGMENTS), frame)
    section = whole["segments"]
    assert [s["config_name"] for s in section] == ["age bands", "segment_config_1"]
    masks = {("age bands", "young"): frame["age"].between(18, 30),
             ("age bands", "middle"): (frame["age"] > 30) & (frame["age"] <= 45),
             ("age bands", "older"): ~frame["age"].between(18, 45),
             ("segment_config_1", "own"): frame["housing"] == "own",
             ("segment_config_1", "rent, free"): frame["housing"].isin(["rent", "free"])}
    got = {(c["config_name"], s["name"]): s for c in section for s in c["segments"]}
    assert got[("segment_config_1", DEFAULT_SEGMENT)]["num_rows"] == 0   # every row is own, rent or free
    for key, mask in masks.items():
        segment = got[key]
        assert segment["num_rows"] == int(mask.sum()) > 40
        alone = _job(tmp_path, f"{key[0]}-{key[1]}".replace(" ", "_").replace(",", ""), _config(model_url),
                     frame.loc[mask])
        for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
            assert segment[stage] == alone[stage], (key, stage)
        for label, block in alone["explanations"]["kernel_shap"].items():
            mine = segment["explanations"]["kernel_shap"][label]
            assert mine["expected_value"] == pytest.approx(block["expected_value"], rel=1e-12)
            assert mine["global_shap_values"] == pytest.approx(block["global_shap_values"], rel=1e-9, abs=1e-12)
    # the whole-data results are unchanged by segments
    plain = _job(tmp_path, "plain", _config(model_url), frame)
    assert plain["pre_training_bias_metrics"] == whole["pre_training_bias_metrics"]
    assert np.isclose(plain["explanations"]["kernel_shap"]["label0"]["expected_value"],
                      whole["explanations"]["kernel_shap"]["label0"]["expected_value"])
