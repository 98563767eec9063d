"""The golden bias jobs read in small chunks (analyzer.stages.chunked) give the committed analysis.json
byte for byte: CSV with predictions from the HTTP model chunk by chunk (adult), JSON Lines with scores in
the data thresholded after counting (german), CSV joined chunk by chunk to a predicted-label dataset
(compas)."""
from __future__ import annotations

from pathlib import Path

import pytest

from components import require_component
from golden_cases import HERE, expected_files, run_case


# adult: 30 chunks of 50 rows (one model request each), german: 143 chunks of 7, compas: 30 chunks of 100
# joined to the predicted-label dataset on "id"
@pytest.mark.parametrize("name, rows", [("adult_bias", 50), ("german_bias", 7), ("compas_bias", 100)])
def test_golden_bias_in_chunks(name: str, rows: int, datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture) -> None:
    require_component(datasets.exists(), f"{datasets} is missing; run `make data`")
    monkeypatch.setenv("ANALYZER_CHUNK_ROWS", str(rows))
    out = run_case(name, datasets, tmp_path)
    assert f"Reading the dataset in chunks of {rows} rows" in capsys.readouterr().err
    assert (out / "analysis.json").read_bytes() == (HERE / name / "analysis.json").read_bytes()


# compas_shap: Parquet, a baseline file, two outputs, a join column, 25 records in chunks of 3;
# adult_shap: CSV, the automatic baseline over every row, PDP of the top SHAP features, chunks of 7
@pytest.mark.parametrize("name, rows", [("compas_shap", 3), ("adult_shap", 7)])
def test_golden_shap_in_chunks(name: str, rows: int, datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture) -> None:
    require_component(datasets.exists(), f"{datasets} is missing; run `make data`")
    monkeypatch.setenv("ANALYZER_CHUNK_ROWS", str(rows))
    out = run_case(name, datasets, tmp_path)
    assert "Kernel SHAP: chunk 2 done" in capsys.readouterr().err
    for relative in expected_files(name):
        assert (out / relative).read_bytes() == (HERE / name / relative).read_bytes(), relative
