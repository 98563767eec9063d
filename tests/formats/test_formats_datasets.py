"""The table of dataset formats: every entry reads files and in-place baselines, the schema accepts
every entry, and a new format is one reader plus one entry (nothing else switches on content types)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from analyzer.config import parse_config, validate
from analyzer.data import load_dataset
from analyzer.errors import ConfigError
from analyzer.explain import parse_baseline
from analyzer.formats import (CAPTURE_JSON, CSV, FORMATS, IMAGE, JSON, JSONLINES, PARQUET, Format, ReadRequest,
                              Table, dataset_format)
from analyzer.storage._content import check_content

ROWS = [[30, "cook", 1.5], [45, "pilot", 2.0]]
TABULAR = sorted(set(FORMATS) - {IMAGE})   # images: one record per file (tests/data/test_image_reader.py)
NAMES = ["age", "job", "x"]


def _write(kind: str, path: Path) -> ReadRequest:
    """The same two records in each format; the request that reads them back."""
    if kind == CSV:
        path.write_text("age,job,x\n30,cook,1.5\n45,pilot,2.0\n")
        return ReadRequest()
    if kind == PARQUET:
        pd.DataFrame(ROWS, columns=NAMES).to_parquet(path)
        return ReadRequest()
    if kind == CAPTURE_JSON:   # Model Monitor capture records: the features of the captured requests
        path.write_text("".join(json.dumps({"captureData": {"endpointInput": {
            "observedContentType": "application/jsonlines", "data": json.dumps({"f": r}), "encoding": "JSON"}},
            "eventMetadata": {"eventId": str(i)}}) + "\n" for i, r in enumerate(ROWS)))
        return ReadRequest(headers=NAMES, features="f")
    if kind == JSONLINES:
        path.write_text("".join(json.dumps({"f": r}) + "\n" for r in ROWS))
    else:
        path.write_text(json.dumps({"records": [{"f": r} for r in ROWS]}))
    return ReadRequest(headers=NAMES, features="f" if kind == JSONLINES else "records[*].f")


@pytest.mark.parametrize("kind", TABULAR)
def test_every_format_reads_the_same_table(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "data"
    request = _write(kind, path)
    check_content(path, kind, "dataset")
    table = dataset_format(kind).read([path], request)
    assert list(table.index_columns) == NAMES
    assert table.frame.values.tolist() == ROWS


@pytest.mark.parametrize("kind", TABULAR)
def test_every_format_reads_an_in_place_baseline(kind: str) -> None:
    frame = pd.DataFrame(ROWS, columns=NAMES)
    inline = {JSONLINES: [{"f": r} for r in ROWS], JSON: {"records": [{"f": r} for r in ROWS]}}.get(kind, ROWS)
    features = {JSONLINES: "f", JSON: "records[*].f"}.get(kind)
    assert parse_baseline(inline, frame, dataset_type=kind, features=features).values.tolist() == ROWS


def test_an_image_baseline_is_an_image_not_rows() -> None:
    with pytest.raises(ConfigError, match="URI of a baseline image"):
        FORMATS[IMAGE].inline_rows(ROWS, None)


def test_the_schema_accepts_every_readable_format() -> None:
    for kind in FORMATS:
        problems = validate({"dataset_type": kind.upper(), "methods": {}})
        assert not [p for p in problems if p.startswith("$.dataset_type")], problems


def test_an_unknown_type_names_the_readable_ones() -> None:
    with pytest.raises(ConfigError, match=r"^dataset_type: image/png is not supported .*\(supported: text/csv, "):
        dataset_format("image/png")


def test_a_new_format_is_one_reader_and_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Semicolon-separated values, added without touching the dataset loader."""
    def read(files, request: ReadRequest) -> Table:
        frame = pd.concat([pd.read_csv(f, sep=";") for f in files], ignore_index=True)
        return Table(frame, tuple(frame.columns))

    kind = "text/x-semicolon"
    monkeypatch.setitem(FORMATS, kind, Format(kind, read, FORMATS[CSV].inline_rows, sniff="text"))
    path = tmp_path / "data.ssv"
    path.write_text("age;job;y\n30;cook;1\n45;pilot;0\n")
    config = parse_config({"dataset_type": CSV, "label": "y", "label_values_or_threshold": [1],
                           "facet": [{"name_or_index": "job"}], "methods": {"pre_training_bias": {"methods": "all"}}})
    dataset = load_dataset(dataclasses.replace(config, dataset_type=kind), path)
    assert dataset.label == "y" and dataset.features == ("age", "job") and dataset.facets == ("job",)
    assert dataset.frame["age"].tolist() == [30, 45]
