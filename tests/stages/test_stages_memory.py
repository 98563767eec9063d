"""analyzer/stages/memory.py: a dataset that cannot fit in memory read whole stops the job before
it is read (exit 3, one line with the numbers); one that may not fit is warned about."""
from __future__ import annotations

import gzip
import io
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analyzer.config import parse_config
from analyzer.errors import DataError
from analyzer.stages import memory
from analyzer.stages.memory import check_fits, text_bytes

CONFIG = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
          "facet": [{"name_or_index": "s", "value_or_threshold": ["a"]}],
          "methods": {"pre_training_bias": {"methods": ["CI"]}}}
ROWS = "".join(f"{i % 70},{'ab'[i % 2]},{i % 2}\n" for i in range(3000))
CSV = "x,s,y\n" + ROWS


def test_text_size_of_plain_gzip_and_parquet_files(tmp_path: Path) -> None:
    plain = tmp_path / "d.csv"
    plain.write_text(CSV)
    packed = tmp_path / "d.csv.gz"
    packed.write_bytes(gzip.compress(CSV.encode()))
    frame = pd.DataFrame({"x": range(5000), "s": ["ab"] * 5000})
    parquet = tmp_path / "d.parquet"
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    parquet.write_bytes(buffer.getvalue())
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(b"PAR1" + bytes(100))

    assert text_bytes(plain) == len(CSV)
    assert packed.stat().st_size < len(CSV) // 3 and text_bytes(packed) == len(CSV)  # the gzip trailer
    import pyarrow.parquet as pq

    meta = pq.read_metadata(parquet)
    assert text_bytes(parquet) == max(parquet.stat().st_size,
                                      sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)))
    assert text_bytes(damaged) == 104  # the reader reports the damage; the estimate is the size


def test_too_large_stops_may_not_fit_warns_and_fits_is_silent(tmp_path: Path, caplog: Any) -> None:
    data = tmp_path / "d.csv"
    data.write_text(CSV)
    config = parse_config(CONFIG)
    size = len(CSV)

    with pytest.raises(DataError) as stopped:
        check_fits(config, [data], available=int(size * 0.3))
    message = stopped.value.message
    assert message.startswith(f"The dataset (1 file(s), {size / 2**20:,.1f} MiB as text) needs at least")
    assert "read it in chunks (--chunk-rows (ANALYZER_CHUNK_ROWS))" in message and "\n" not in message

    with caplog.at_level(logging.WARNING):
        check_fits(config, [data], available=size)           # the table may be about the text's size
        assert "may not fit" in caplog.text
        caplog.clear()
        check_fits(config, [data], available=size * 4)
        assert caplog.text == ""


def test_the_fix_names_why_a_dataset_is_read_whole(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text(CSV)
    shap = {"baseline": [[1, "a"]], "algorithm": "tree_exact"}
    config = parse_config({**CONFIG, "methods": {**CONFIG["methods"], "shap": shap},
                           "predictor": {"endpoint_url": "http://127.0.0.1:9/", "content_type": "text/csv"}})

    with pytest.raises(DataError, match=r"read whole because methods.shap.algorithm tree_exact reads the dataset"):
        check_fits(config, [data], available=10)


def test_a_job_whose_dataset_cannot_fit_exits_3_before_reading(run_job: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda: 1000)

    run = run_job(json.dumps(CONFIG), CSV)

    assert run.code == 3, run.stderr
    assert run.message.startswith("ClientError: The dataset (1 file(s), 0.0 MiB as text) needs at least")
    assert "Loading dataset" not in run.stderr
    assert not run.output.exists() or list(run.output.iterdir()) == []
