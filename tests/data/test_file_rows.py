"""One file read from any row on (analyzer.data.file_rows): the rows are a whole read's from that row,
whether the reader seeks to an indexed byte (CSV), skips lines unparsed (JSON Lines), starts at a row
group (Parquet) or parses up to its row (CSV the bytes cannot index)."""
from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pandas as pd
import pytest

from analyzer.config import parse_config
from analyzer.data import Start, file_frames, index_file, open_chunks, start_of
from analyzer.data import file_rows
from analyzer.data.file_rows import csv_row_offsets

BASE = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f", "value_or_threshold": ["a"]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}}}


@pytest.fixture(autouse=True)
def _small_grain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_rows, "GRAIN", 4)   # many indexed rows in a small file


def _messy_csv(path: Path, rows: int, seed: int, header: bool = True, end: str = "\n") -> None:
    """Data rows among blank, space-only and tab-only lines, CRLF or LF endings, maybe no final newline."""
    rng = random.Random(seed)
    lines = ["x,f,y"] if header else []
    for i in range(rows):
        while rng.random() < 0.3:
            lines.append(rng.choice(["", "   ", "\t", " \t "]))
        lines.append(f"{i * 0.5},{rng.choice('ab')},{i % 2}")
    text = end.join(lines) + (end if rng.random() < 0.5 else "")
    path.write_bytes(text.encode())


def _whole(config: dict, path: Path) -> pd.DataFrame:
    chunks = open_chunks(parse_config(config), path, [path], 10_000)
    return pd.concat(list(chunks.frames()), ignore_index=True)


def _from(config: dict, path: Path, row: int) -> pd.DataFrame:
    parsed = parse_config(config)
    whole = _whole(config, path)
    index = index_file(parsed, path, list(whole.columns), None)
    frames = list(file_frames(parsed, path, 3, list(whole.columns), (), None, start_of(index, row)))
    return pd.concat(frames, ignore_index=True) if frames else whole.iloc[:0]


@pytest.mark.parametrize("seed", range(6))
def test_the_csv_byte_index_finds_every_indexed_row(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "data.csv"
    _messy_csv(path, 23, seed, header=seed % 2 == 0, end="\r\n" if seed % 3 == 0 else "\n")
    skip = 1 if seed % 2 == 0 else 0
    rows, offsets = csv_row_offsets(path, skip)
    whole = pd.read_csv(path, header=None, skiprows=skip, skip_blank_lines=True)
    assert rows == len(whole) == 23 and len(offsets) == 6
    for k, byte in enumerate(offsets):
        with open(path, "rb") as handle:
            handle.seek(byte)
            tail = pd.read_csv(handle, header=None, skip_blank_lines=True)
        pd.testing.assert_frame_equal(tail, whole.iloc[4 * k:].reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("content", [b'x,f,y\n1,"a",0\n', b"x,f,y\n1,a,0\r2,b,1\n", b"\nx,f,y\n1,a,0\n"])
def test_bytes_that_cannot_tell_the_rows_give_no_index(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    assert csv_row_offsets(path, 1) is None
    path.write_bytes(gzip.compress(b"x,f,y\n1,a,0\n"))
    assert csv_row_offsets(path, 1) is None


@pytest.mark.parametrize("quoted", [False, True])
def test_csv_read_from_any_row_is_the_whole_read_from_that_row(tmp_path: Path, quoted: bool) -> None:
    path = tmp_path / "data.csv"
    _messy_csv(path, 14, 7)
    if quoted:   # a quoted field spanning lines: counted and skipped by parsing
        path.write_bytes(path.read_bytes() + b'99,"a\nb",1\n')
    config = {**BASE, "dataset_type": "text/csv"}
    whole = _whole(config, path)
    assert bool(index_file(parse_config(config), path, list(whole.columns), None).offsets) is not quoted
    for row in range(len(whole) + 1):
        pd.testing.assert_frame_equal(_from(config, path, row), whole.iloc[row:].reset_index(drop=True))


def test_json_lines_and_parquet_read_from_any_row(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [i * 0.5 for i in range(11)], "f": list("abcabcabcab"), "y": [i % 2 for i in range(11)]})
    lines = tmp_path / "data.jsonl"
    lines.write_text("\n\n".join(json.dumps({"features": [r.x, r.f], "label": int(r.y)})
                                 for r in frame.itertuples()) + "\n")
    parquet = tmp_path / "data.parquet"
    frame.to_parquet(parquet, row_group_size=3)
    jsonl = {**BASE, "dataset_type": "application/jsonlines", "features": "features", "label": "label",
             "headers": ["x", "f", "label"]}
    for config, path in ((jsonl, lines), ({**BASE, "dataset_type": "application/x-parquet"}, parquet)):
        whole = _whole(config, path)
        for row in range(len(whole) + 1):
            pd.testing.assert_frame_equal(_from(config, path, row), whole.iloc[row:].reset_index(drop=True))
    index = index_file(parse_config({**BASE, "dataset_type": "application/x-parquet"}), parquet, [], None)
    assert index.groups == (3, 3, 3, 2) and start_of(index, 7) == Start(row=7, at=6, byte=None, group=2)
