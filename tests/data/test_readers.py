"""Readers: CSV header rules, JSON Lines / JSON by JMESPath, Parquet, part-file directories."""
from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from analyzer.config import parse_config
from analyzer.data import load_dataset
from analyzer.data.csv_reader import looks_like_header
from analyzer.errors import ConfigError, DataError

BASE = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "s"}],
        "methods": {"pre_training_bias": {"methods": "all"}}}


def _config(**changes):
    return parse_config({"dataset_type": "text/csv", **BASE, **changes})


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("rows, expected", [
    ([["age", "sex", "y"], ["30", "F", "1"]], True),
    ([["30", "F", "1"], ["31", "M", "0"]], False),                 # numeric first row
    ([["a", "a", "y"], ["1", "2", "3"]], False),                   # repeated names
    ([["sex", "race"], ["F", "A"], ["M", "B"]], True),             # all-text data, names never reappear
    ([["F", "A"], ["M", "B"], ["F", "A"]], False),                 # all-text data, first row reappears
    ([["age", ""], ["1", "2"]], False),                            # empty cell
    ([["only", "header"]], True),
    ([], False),
])
def test_looks_like_header(rows, expected) -> None:
    assert looks_like_header(rows) is expected


def test_csv_header_row_detected(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "x,s,y\n1.5,F,1\n2.5,M,0\n")
    ds = load_dataset(_config(), path)
    assert list(ds.frame.columns) == ["x", "s", "y"]
    assert ds.features == ("x", "s") and ds.label == "y" and ds.facets == ("s",)
    assert ds.frame["x"].tolist() == [1.5, 2.5]


def test_csv_without_header_gets_generated_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "1.5,0,1\n2.5,1,0\n")
    ds = load_dataset(parse_config({"dataset_type": "text/csv", **BASE, "label": 2,
                                    "facet": [{"name_or_index": 1}]}), path)
    assert list(ds.frame.columns) == ["column_0", "column_1", "column_2"]
    assert ds.label == "column_2" and ds.facets == ("column_1",) and ds.features == ("column_0", "column_1")


def test_configured_headers_win_and_a_matching_header_row_is_skipped(tmp_path: Path, caplog) -> None:
    headers = ["x", "s", "y"]
    with_row = _write(tmp_path, "a.csv", "x,s,y\n1,F,1\n2,M,0\n")
    without_row = _write(tmp_path, "b.csv", "1,F,1\n2,M,0\n")
    with caplog.at_level(logging.INFO, logger="analyzer.data"):
        a = load_dataset(_config(headers=headers), with_row)
    assert "equals the configured headers; skipping it" in caplog.text
    b = load_dataset(_config(headers=headers), without_row)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.frame["x"].dtype.kind == "i"  # the skipped header did not turn numbers into text


def test_configured_headers_with_wrong_column_count(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "1,F,1,9\n")
    # the fix is in the config's 'headers' (README "Reliability": the code says where the fix is)
    with pytest.raises(ConfigError, match=r"rows have 4 columns but 'headers' in the config names 3 \(x, s, y\)"):
        load_dataset(_config(headers=["x", "s", "y"]), path)


def test_directory_of_part_files_with_repeated_headers(tmp_path: Path) -> None:
    _write(tmp_path, "parts/part-0001.csv", "x,s,y\n1,F,1\n")
    _write(tmp_path, "parts/sub/part-0002.csv", "x,s,y\n2,M,0\n")
    _write(tmp_path, "parts/_SUCCESS", "")
    _write(tmp_path, "parts/.hidden.csv", "garbage")
    ds = load_dataset(_config(), tmp_path / "parts")
    assert ds.frame["x"].tolist() == [1, 2]


def test_gzip_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(b"x,s,y\n1,F,1\n2,M,0\n"))
    assert load_dataset(_config(), path).frame["s"].tolist() == ["F", "M"]


def test_missing_dataset_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file or directory"):
        load_dataset(_config(), tmp_path / "nope.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="contains no data files"):
        load_dataset(_config(), tmp_path / "empty")


def test_unknown_label_column_lists_available(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "x,s,y\n1,F,1\n")
    with pytest.raises(ConfigError, match=r"label: column 'target' not found in the dataset .* Available columns: x, s, y"):
        load_dataset(_config(label="target"), path)
    with pytest.raises(ConfigError, match=r"facet\[0\].name_or_index: index 7 is out of range"):
        load_dataset(_config(facet=[{"name_or_index": 7}]), path)


def test_excluded_columns_are_not_features_but_stay_in_the_frame(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", "x,s,id,y\n1,F,a,1\n")
    ds = load_dataset(_config(excluded_columns=["s", 2]), path)
    assert ds.features == ("x",)
    assert "s" in ds.frame.columns and ds.facets == ("s",)


def test_jsonlines_with_jmespath(tmp_path: Path) -> None:
    lines = [{"features": [30, 0, 3000], "label": 1, "pred": {"v": 1}},
             {"features": [40, 1, 4000], "label": 0, "pred": {"v": 0}}]
    path = _write(tmp_path, "d.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    config = parse_config({"dataset_type": "application/jsonlines", "features": "features", "label": "label",
                           "predicted_label": "pred.v", "headers": ["Age", "Gender", "Income", "Target", "Pred"],
                           "label_values_or_threshold": [1], "facet": [{"name_or_index": "Gender"}],
                           "methods": {"pre_training_bias": {"methods": "all"}}})
    ds = load_dataset(config, path)
    assert list(ds.frame.columns) == ["Age", "Gender", "Income", "Target", "Pred"]
    assert ds.features == ("Age", "Gender", "Income")
    assert ds.label == "Target" and ds.predicted_label == "Pred"
    assert ds.frame["Pred"].tolist() == [1, 0]


def test_jsonlines_without_headers_and_bad_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"f": [1, 2], "y": 1}\n{"f": [3, 4], "y": 0}\n')
    config = parse_config({"dataset_type": "application/jsonlines", "features": "f", "label": "y",
                           "label_values_or_threshold": [1], "facet": [{"name_or_index": 0}],
                           "methods": {"pre_training_bias": {"methods": "all"}}})
    ds = load_dataset(config, path)
    assert list(ds.frame.columns) == ["column_0", "column_1", "y"] and ds.facets == ("column_0",)
    bad = _write(tmp_path, "bad.jsonl", '{"f": [1, 2], "y": 1}\n{"f": 3, "y": 0}\n')
    with pytest.raises(DataError, match=r"bad.jsonl line 2: 'features' \(f\) should give a list of values, got int"):
        load_dataset(config, bad)


def test_json_document(tmp_path: Path) -> None:
    doc = [{"features": [1, 0], "label": 1}, {"features": [2, 1], "label": 0}]
    path = _write(tmp_path, "d.json", json.dumps(doc))
    config = parse_config({"dataset_type": "application/json", "features": "[*].features", "label": "[*].label",
                           "headers": ["a", "s", "y"], "label_values_or_threshold": [1],
                           "facet": [{"name_or_index": "s"}], "methods": {"pre_training_bias": {"methods": "all"}}})
    ds = load_dataset(config, path)
    assert ds.frame.to_dict("list") == {"a": [1, 2], "s": [0, 1], "y": [1, 0]}
    wrong = _write(tmp_path, "w.json", json.dumps({"features": [[1, 0]], "label": [1, 0]}))
    config2 = parse_config({**config.raw, "features": "features", "label": "label"})
    with pytest.raises(DataError, match=r"'label' \(label\) should give a list with one value per record \(1\), got 2"):
        load_dataset(config2, wrong)


def test_parquet_directory(tmp_path: Path) -> None:
    (tmp_path / "pq").mkdir()
    pd.DataFrame({"x": [1.0, 2.0], "s": ["F", "M"], "y": [1, 0]}).to_parquet(tmp_path / "pq" / "a.parquet")
    pd.DataFrame({"x": [3.0], "s": ["F"], "y": [1]}).to_parquet(tmp_path / "pq" / "b.parquet")
    ds = load_dataset(parse_config({"dataset_type": "application/x-parquet", **BASE}), tmp_path / "pq")
    assert ds.frame["x"].tolist() == [1.0, 2.0, 3.0]
    bad = _write(tmp_path, "bad.parquet", "not parquet")
    with pytest.raises(DataError, match=r"bad.parquet: not an application/x-parquet file .*check dataset_type"):
        load_dataset(parse_config({"dataset_type": "application/x-parquet", **BASE}), bad)


def test_malformed_csv_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", 'x,s,y\n1,F,1\n2,"M,0\n')
    with pytest.raises(DataError, match="d.csv"):
        load_dataset(_config(), path)
