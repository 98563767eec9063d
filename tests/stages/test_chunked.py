"""Jobs that read their dataset in chunks (analyzer.stages.chunked): the same analysis.json bytes as
reading it whole, for every format and the type edges of chunked CSV; the knob's bounds; when the
chunked path runs and when it falls back."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from analyzer import job
from analyzer.bias import counts
from analyzer.cli import main
from analyzer.config import parse_config
from analyzer.data import load_dataset
from analyzer.errors import ConfigError
from analyzer.stages import chunked
from analyzer.stages.chunked import ChunkPlan, chunk_plan, parse_knob, run_chunked

from chunked_jobs import csv_jobs, outcome

PRE_POST = {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}


def _run(tmp_path: Path, config: dict, data: Path, chunk_rows: str, name: str) -> tuple[int, Path]:
    """One job through the CLI, reports off (they are written from the same analysis)."""
    work = tmp_path / name
    work.mkdir()
    (work / "config.json").write_text(json.dumps(config))
    with mock.patch.object(job, "_write_reports", return_value=(None, None)):
        code = main(["run", "--config", str(work / "config.json"), "--data", str(data), "--output",
                     str(work / "out"), "--base-dir", str(work / "ml"), "--chunk-rows", chunk_rows])
    return code, work


def _same_as_whole(tmp_path: Path, config: dict, data: Path, chunk_rows: str = "3") -> dict:
    code_whole, whole = _run(tmp_path, config, data, "off", "whole")
    code_chunked, part = _run(tmp_path, config, data, chunk_rows, "chunked")
    assert code_whole == code_chunked
    if code_whole != 0:
        assert (whole / "ml/output/message").read_text() == (part / "ml/output/message").read_text()
        return {}
    expected = (whole / "out/analysis.json").read_bytes()
    assert (part / "out/analysis.json").read_bytes() == expected
    return json.loads(expected)


def _compas(datasets: Path, rows: int = 400) -> pd.DataFrame:
    frame = pd.read_csv(datasets / "compas" / "compas-scores-two-years.csv", nrows=rows)
    frame = frame[["id", "age", "priors_count", "juv_fel_count", "sex", "race", "age_cat", "decile_score",
                   "two_year_recid"]]
    return frame.assign(high_risk=(frame.pop("decile_score") >= 5).astype(int))


COMPAS = {"label": "two_year_recid", "label_values_or_threshold": [1], "predicted_label": "high_risk",
          "joinsource_name_or_index": "id",
          "facet": [{"name_or_index": "race", "value_or_threshold": ["African-American", "Hispanic"]},
                    {"name_or_index": "sex"}],
          "group_variable": "age_cat", "methods": {**PRE_POST, "post_training_bias": {
              "methods": "all", "ft_encoding": "one_hot"}}}


def test_compas_csv_and_parquet_with_predictions_in_the_data(tmp_path: Path, datasets: Path) -> None:
    frame = _compas(datasets)
    frame.to_csv(tmp_path / "compas.csv", index=False)
    document = _same_as_whole(tmp_path, {"dataset_type": "text/csv", **COMPAS}, tmp_path / "compas.csv", "37")
    ft = {m["name"]: m for m in document["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]}["FT"]
    assert isinstance(ft["value"], float)          # FT ran on the rows (numeric features only)
    frame.to_parquet(tmp_path / "compas.parquet", row_group_size=50)
    _same_as_whole(tmp_path / "pq", {"dataset_type": "application/x-parquet", **COMPAS},
                   tmp_path / "compas.parquet", "37") if (tmp_path / "pq").mkdir() is None else None


def test_csv_types_decided_by_all_rows_not_the_first_chunk(tmp_path: Path) -> None:
    """Chunk 1 reads the facet as ints and the label as ints; a later chunk has text in the facet and a
    missing label, so a whole-file read gives a text facet and a float (continuous) label."""
    rows = ["f,g,y,p"] + [f"{i % 2},{i % 4},{i % 2},{(i // 2) % 2}" for i in range(12)]
    rows += ["x,1,,1", "1,2,0,", "0,,1,1"]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    config = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [0.5], "predicted_label": "p",
              "facet": [{"name_or_index": "f", "value_or_threshold": ["1"]},
                        {"name_or_index": "g", "value_or_threshold": [1]}],
              "group_variable": "g", "methods": PRE_POST}
    document = _same_as_whole(tmp_path, config, tmp_path / "d.csv", "4")
    assert document["pre_training_bias_metrics"]["label_value_or_threshold"] == "(0.5, 1.0]"
    assert [e["value_or_threshold"] for e in document["pre_training_bias_metrics"]["facets"]["g"]] == ["(1.0, 3.0]"]


def test_errors_are_the_same_words(tmp_path: Path) -> None:
    """An impossible analysis fails alike (Clarify's message, the columns seen and their counts)."""
    (tmp_path / "d.csv").write_text("s,y,p\n" + "F,1,0\nM,0,0\n" * 5)
    config = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "predicted_label": "p",
              "facet": [{"name_or_index": "s", "value_or_threshold": ["F"]}], "methods": PRE_POST}
    _same_as_whole(tmp_path, config, tmp_path / "d.csv", "3")


def test_too_many_distinct_values_read_whole_after_all(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(1)
    pd.DataFrame({"s": rng.random(40), "y": rng.integers(0, 2, 40)}).to_csv(tmp_path / "d.csv", index=False)
    config = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "s", "value_or_threshold": [0.5]}],
              "methods": {"pre_training_bias": {"methods": "all"}}}
    with mock.patch.object(counts, "MAX_DISTINCT", 10):
        _same_as_whole(tmp_path, config, tmp_path / "d.csv", "3")
    assert "Reading the dataset whole after all: column 's' has more than 10 distinct values" in capsys.readouterr().err


@pytest.mark.parametrize("value, expected", [
    (None, "auto"), ("", "auto"), (" AUTO ", "auto"), ("off", "off"), ("0", "off"), ("1", 1),
    ("250_000", 250_000), ("10000000", 10_000_000)])
def test_knob_values(value: str | None, expected: object) -> None:
    assert parse_knob(value) == expected


@pytest.mark.parametrize("value", ["-1", "10000001", "1.5", "many"])
def test_knob_out_of_bounds_is_a_config_error_naming_it(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^--chunk-rows \(ANALYZER_CHUNK_ROWS\): "):
        parse_knob(value)


def test_bad_knob_exits_2_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "d.csv").write_text("s,y\nF,1\nM,0\n")
    monkeypatch.setenv("ANALYZER_CHUNK_ROWS", "lots")
    config = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "s"}], "methods": {"pre_training_bias": {"methods": "all"}}}
    work = tmp_path / "w"
    work.mkdir()
    (work / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(work / "config.json"), "--data", str(tmp_path / "d.csv"),
                 "--output", str(work / "out"), "--base-dir", str(work / "ml")])
    assert code == 2
    assert (work / "ml/output/message").read_text().startswith("ClientError: --chunk-rows (ANALYZER_CHUNK_ROWS)")
    assert not (work / "out" / "analysis.json").exists()


def _plan_config(**methods) -> object:
    return parse_config({"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
                         "facet": [{"name_or_index": "s"}], "methods": methods})


def test_auto_reads_large_datasets_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "d.csv").write_text("s,y\nF,1\nM,0\n")
    config = _plan_config(pre_training_bias={"methods": "all"})
    assert chunk_plan(config, tmp_path / "d.csv", "auto").rows is None      # small: read whole
    monkeypatch.setattr(chunked, "AUTO_ABOVE_BYTES", 10)
    with caplog.at_level(logging.INFO):
        rows = chunk_plan(config, tmp_path / "d.csv", "auto").rows
    low, high = chunked.AUTO_ROWS_BOUNDS
    assert rows is not None and low <= rows <= high
    assert caplog.text.count("Reading the dataset in chunks of") == 1


@pytest.mark.parametrize("shap, rows", [({"baseline": [["F"]]}, 5),
                                        ({"baseline": [["F"]], "agg_method": "median"}, 5),
                                        ({"baseline": [["F"]], "algorithm": "tree_exact"}, None)])
def test_jobs_that_need_the_whole_dataset_read_it_whole(tmp_path: Path, shap: dict, rows: int | None) -> None:
    """Kernel SHAP reads in chunks (analyzer.stages.explain_chunks), the median too, but not exact tree SHAP."""
    (tmp_path / "d.csv").write_text("s,y\nF,1\nM,0\n")
    config = parse_config({"dataset_type": "text/csv", "label": "y", "facet": [{"name_or_index": "s"}],
                           "label_values_or_threshold": [1], "predictor": {"endpoint_url": "http://127.0.0.1:9"},
                           "methods": {"pre_training_bias": {"methods": "all"}, "shap": shap}})
    assert chunk_plan(config, tmp_path / "d.csv", 5).rows == rows
    assert chunk_plan(_plan_config(pre_training_bias={"methods": "all"}), tmp_path / "d.csv", 5).rows == 5


# ---------------------------------------------------------------- random CSVs: chunked == whole
def test_ft_columns_typed_like_a_whole_read(tmp_path: Path) -> None:
    """Found by the property test below: with a chunk per row, '0' was an int in two chunks and 'True'
    a bool in the third, so FT computed -1.0 where the whole read (a text column) refuses FT."""
    path = tmp_path / "d.csv"
    path.write_text("f,g,y,p\n0,0,0,0\n0,0,0,0\nx,True,x,F\n")
    config = parse_config({"dataset_type": "text/csv", "label": "y", "predicted_label": "p",
                           "label_values_or_threshold": ["F", "M"], "facet": [{"name_or_index": "f"}],
                           "methods": {"pre_training_bias": {"methods": "all"},
                                       "post_training_bias": {"methods": "all"}}})
    chunked = outcome(lambda: run_chunked(config, path, ChunkPlan([path], 1)).bias)
    assert chunked == outcome(lambda: job.analyse(config, load_dataset(config, path)).bias)
    assert "FlipTest does not support non-numeric columns" in chunked


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(job_=csv_jobs())
def test_random_csvs_chunked_equal_whole(job_: tuple[str, dict, int], tmp_path: Path) -> None:
    text, raw, rows = job_
    path = tmp_path / "d.csv"
    path.write_text(text)
    config = parse_config(raw)

    def whole():
        analysis = job.analyse(config, load_dataset(config, path))
        return analysis.bias

    def chunked():
        return run_chunked(config, path, ChunkPlan([path], rows)).bias

    assert outcome(chunked) == outcome(whole)


def test_progress_lines_between_chunks() -> None:
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("sagemaker-clarify-processing")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        frames = list(chunked.with_progress(iter([pd.DataFrame({"a": range(3)})] * 2), every_s=0))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert len(frames) == 2
    assert [r.split(" in ")[0] for r in records] == ["Read 3 rows", "Read 6 rows"]
