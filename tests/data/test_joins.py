"""Facet and predicted-label datasets joined on joinsource_name_or_index (inner joins)."""
from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config import parse_config
from analyzer.data import load_dataset
from analyzer.errors import DataError


def _config(tmp_path: Path, **changes):
    return parse_config({"dataset_type": "text/csv", "headers": ["id", "x", "y"], "label": "y",
                         "joinsource_name_or_index": "id", "label_values_or_threshold": [1],
                         "facet": [{"name_or_index": "sex"}],
                         "methods": {"pre_training_bias": {"methods": "all"}}, **changes})


@pytest.fixture
def main_csv(tmp_path: Path) -> Path:
    path = tmp_path / "main.csv"
    path.write_text("1,0.5,1\n2,1.5,0\n3,2.5,1\n4,3.5,0\n")
    return path


def test_facet_and_prediction_datasets_inner_join(tmp_path: Path, main_csv: Path) -> None:
    (tmp_path / "facet.csv").write_text("id,sex\n3,F\n1,M\n2,F\n")           # row 4 has no facet: dropped
    (tmp_path / "pred.csv").write_text("4,0\n2,1\n1,1\n3,0\n")
    config = _config(tmp_path, facet_dataset_uri=str(tmp_path / "facet.csv"), facet_headers=["id", "sex"],
                     predicted_label_dataset_uri=str(tmp_path / "pred.csv"), predicted_label_headers=["id", "p"],
                     predicted_label="p", methods={"post_training_bias": {"methods": "all"}})
    ds = load_dataset(config, main_csv)
    assert ds.frame.to_dict("list") == {"id": [1, 2, 3], "x": [0.5, 1.5, 2.5], "y": [1, 0, 1],
                                        "sex": ["M", "F", "F"], "p": [1, 1, 0]}
    assert ds.features == ("x",) and ds.facets == ("sex",) and ds.predicted_label == "p"
    assert ds.join_column == "id"


def test_default_predicted_label_name(tmp_path: Path, main_csv: Path) -> None:
    (tmp_path / "pred.csv").write_text("id,predicted_label\n1,1\n2,0\n3,1\n4,1\n")
    config = _config(tmp_path, facet=[{"name_or_index": "x"}], predicted_label_dataset_uri=str(tmp_path / "pred.csv"),
                     methods={"post_training_bias": {"methods": "all"}})
    ds = load_dataset(config, main_csv)
    assert ds.predicted_label == "predicted_label" and ds.frame["predicted_label"].tolist() == [1, 0, 1, 1]


def test_positional_join_without_join_column(tmp_path: Path, main_csv: Path) -> None:
    (tmp_path / "facet.csv").write_text("F\nM\nF\nM\n")
    config = _config(tmp_path, facet_dataset_uri=str(tmp_path / "facet.csv"), facet_headers=["sex"])
    assert load_dataset(config, main_csv).frame["sex"].tolist() == ["F", "M", "F", "M"]
    (tmp_path / "short.csv").write_text("F\nM\n")
    config = _config(tmp_path, facet_dataset_uri=str(tmp_path / "short.csv"), facet_headers=["sex"])
    with pytest.raises(DataError, match="facet dataset .*short.csv has 2 rows but the dataset has 4"):
        load_dataset(config, main_csv)


def test_duplicate_join_keys_and_no_match(tmp_path: Path, main_csv: Path) -> None:
    (tmp_path / "dup.csv").write_text("id,sex\n1,F\n1,M\n")
    config = _config(tmp_path, facet_dataset_uri=str(tmp_path / "dup.csv"), facet_headers=["id", "sex"])
    with pytest.raises(DataError, match="join column 'id' has duplicate values"):
        load_dataset(config, main_csv)
    (tmp_path / "none.csv").write_text("id,sex\n9,F\n")
    config = _config(tmp_path, facet_dataset_uri=str(tmp_path / "none.csv"), facet_headers=["id", "sex"])
    with pytest.raises(DataError, match="no row matches the dataset on join column 'id'"):
        load_dataset(config, main_csv)


def test_column_clash_is_an_error(tmp_path: Path, main_csv: Path) -> None:
    (tmp_path / "facet.csv").write_text("id,x\n1,F\n")
    config = _config(tmp_path, facet=[{"name_or_index": "x"}], facet_dataset_uri=str(tmp_path / "facet.csv"),
                     facet_headers=["id", "x"])
    with pytest.raises(DataError, match=r"column\(s\) x also exist in the main dataset"):
        load_dataset(config, main_csv)
