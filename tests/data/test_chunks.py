"""Reading in chunks (analyzer.data.chunks): the chunks put together are the whole-file read, and text
columns typed from all their values get the type a whole-file read gives."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from analyzer.config import parse_config
from analyzer.data import load_dataset, open_chunks, resolve_files, typed_like_csv
from analyzer.errors import DataError

BASE = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "s"}],
        "methods": {"pre_training_bias": {"methods": "all"}}}


def _config(kind: str = "text/csv", **changes):
    return parse_config({"dataset_type": kind, **BASE, **changes})


def _whole_and_chunked(config, path: Path, rows: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    whole = load_dataset(config, path).frame
    chunks = open_chunks(config, path, resolve_files(path), rows)
    frames = list(chunks.frames())
    assert list(chunks.layout.frame.columns) == list(whole.columns) and chunks.layout.frame.empty
    return whole, pd.concat(frames, ignore_index=True), len(frames)


@pytest.mark.parametrize("values", [
    ["1", "2", "3"], ["1", None, "3"], ["1.5", "2", "-3e2"], ["True", "False"], ["True", None],
    ["1", "x", "01"], [" 1", "2 "], ["a,b", 'say "hi"', "1"], ["9223372036854775808", "1"], ["inf", "1"],
    ["2020-01-01", "2021-02-03"],
])
def test_text_typed_like_a_whole_file_read(values: list[str | None]) -> None:
    text = "v,w\n" + "".join(f"{json.dumps(v) if v is not None else ''},0\n" for v in values)
    whole = pd.read_csv(io.StringIO(text))["v"]
    as_text = pd.read_csv(io.StringIO(text), dtype={"v": str})["v"]
    pd.testing.assert_series_equal(typed_like_csv(as_text), whole)


def test_csv_chunks_are_the_whole_read(tmp_path: Path) -> None:
    """Two part files, the second repeating the header; 7-row chunks never straddle a file."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("s,x,y\n" + "".join(f"{'FM'[i % 2]},{i / 4},{i % 3 == 0:d}\n"
                                                              for i in range(10)))
    (tmp_path / "d" / "b.csv").write_text("s,x,y\nF,0.5,1\nM,,0\n")
    whole, chunked, count = _whole_and_chunked(_config(), tmp_path / "d", 7)
    pd.testing.assert_frame_equal(chunked, whole)
    assert count == 3


def test_csv_text_columns_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("s,y\n1,1\n2,0\n")
    chunks = open_chunks(_config(), path, [path], 10, text_columns=lambda layout: [layout.facets[0]])
    [frame] = list(chunks.frames())
    assert frame["s"].tolist() == ["1", "2"] and frame["y"].tolist() == [1, 0]


def test_csv_width_error_in_a_later_chunk_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("s,y\n" + "F,1\n" * 20 + "F,1,9\n")
    with pytest.raises(DataError, match=r"d\.csv"):
        list(open_chunks(_config(), path, [path], 5).frames())


@pytest.mark.parametrize("chunk_rows", [None, 2**18])
def test_a_wide_row_at_a_tokenizer_batch_boundary_is_refused(tmp_path: Path, chunk_rows: int | None) -> None:
    """pandas' C tokenizer reads 2**18 rows of a 2-column file per batch (and, chunked, one chunk per
    batch); pandas before 3.1 did not check the first row of a batch and dropped its extra fields."""
    path = tmp_path / "d.csv"
    path.write_text("s,y\n" + "F,1\n" * 2**18 + "F,1,9\n" + "F,1\n" * 3)
    with pytest.raises(DataError, match=r"d\.csv"):
        if chunk_rows is None:
            load_dataset(_config(), path)
        else:
            list(open_chunks(_config(), path, [path], chunk_rows).frames())


def test_jsonlines_chunks_are_the_whole_read(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    records = [{"f": [i, "FM"[i % 2], i / 3], "label": i % 2, "p": None if i == 11 else i % 3} for i in range(13)]
    path.write_text("".join(json.dumps(r) + "\n\n" for r in records))
    config = _config("application/jsonlines", features="f", label="label", predicted_label="p",
                     headers=["a", "s", "c", "y", "p"])
    whole, chunked, count = _whole_and_chunked(config, path, 4)
    pd.testing.assert_frame_equal(chunked.astype(object), whole.astype(object))   # chunks type alone
    assert count == 4


def test_jsonlines_width_change_between_chunks(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"f": [1, 2], "label": 1}\n{"f": [1, 2], "label": 0}\n{"f": [1], "label": 0}\n')
    config = _config("application/jsonlines", features="f", label="label", facet=[{"name_or_index": 0}])
    with pytest.raises(DataError, match="different number of features"):
        list(open_chunks(config, path, [path], 2).frames())


def test_parquet_chunks_are_the_whole_read(tmp_path: Path) -> None:
    frame = pd.DataFrame({"s": ["F", "M", None] * 7, "x": range(21), "y": [1, 0, 1] * 7})
    (tmp_path / "p").mkdir()
    frame.iloc[:15].to_parquet(tmp_path / "p" / "a.parquet", row_group_size=4)
    frame.iloc[15:].to_parquet(tmp_path / "p" / "b.parquet")
    whole, chunked, count = _whole_and_chunked(_config("application/x-parquet"), tmp_path / "p", 5)
    pd.testing.assert_frame_equal(chunked, whole)
    assert count == 5      # 15 rows in 5s, then 6 rows: 5 + 1


def _join_config(tmp_path: Path, **changes):
    return parse_config({"dataset_type": "text/csv", "headers": ["id", "x", "y"], "label": "y",
                         "joinsource_name_or_index": "id", "label_values_or_threshold": [1],
                         "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}},
                         **changes})


def _outcome(read) -> object:
    try:
        return read()
    except DataError as exc:
        return str(exc)


@pytest.mark.parametrize("facet_text, pred_text", [
    ("id,sex\n3,F\n1,M\n2,F\n5,M\n", "4,0\n2,1\n1,1\n3,0\n"),   # by key: row 4 has no facet, 5 no main row
    ("sex\nF\nM\nF\nM\n", "p\n1\n0\n0\n1\n"),                   # by position
    ("sex\nF\nM\n", "p\n1\n0\n0\n1\n"),                          # by position, the facets run out
    ("id,sex\n9,F\n", "1,1\n"),                                  # no row matches
    ("id,sex\n1,F\n1,M\n", "1,1\n"),                             # duplicate keys
])
def test_side_datasets_joined_chunk_by_chunk(tmp_path: Path, facet_text: str, pred_text: str) -> None:
    main = tmp_path / "main.csv"
    main.write_text("1,0.5,1\n2,1.5,0\n3,2.5,1\n4,3.5,0\n")
    (tmp_path / "facet.csv").write_text(facet_text)
    (tmp_path / "pred.csv").write_text(pred_text)
    by_key = facet_text.startswith("id")
    config = _join_config(tmp_path, facet_dataset_uri=str(tmp_path / "facet.csv"),
                          facet_headers=["id", "sex"] if by_key else ["sex"],
                          predicted_label_dataset_uri=str(tmp_path / "pred.csv"),
                          predicted_label_headers=["id", "p"] if by_key else ["p"], predicted_label="p")
    whole = _outcome(lambda: load_dataset(config, main).frame)

    def chunked() -> pd.DataFrame:
        chunks = open_chunks(config, main, [main], 1)
        return pd.concat(list(chunks.frames()), ignore_index=True)

    got = _outcome(chunked)
    if isinstance(whole, str):
        assert got == whole
    else:
        pd.testing.assert_frame_equal(got, whole)
