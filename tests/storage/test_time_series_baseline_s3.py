"""A time-series baseline file on S3 (moto): the same explanations as the same file on disk, and a
missing or malformed object fails the job in one line naming its URI."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.config import parse_config
from analyzer.stages.time_series import run_time_series
from analyzer.storage import scratch_session
from forecast_model import ForecastModel, serving, weather_records
from modality_models import message, run_job, time_series_config, write_series

pytestmark = pytest.mark.s3


def _baseline_records() -> list[dict]:
    """The dataset's items and timestamps with other values: a baseline file in the dataset's format."""
    return weather_records({"a": 3, "b": 4}, horizon=1, seed=11)


def _with_baseline(url: str, baseline: str) -> dict:
    config = time_series_config(endpoint_url=url)
    config["methods"]["asymmetric_shapley_value"]["baseline"] = baseline
    return config


def test_a_baseline_file_on_s3_explains_as_the_same_file_on_disk(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = write_series(tmp_path / "series.json")
    local = tmp_path / "baseline.json"
    local.write_text(json.dumps(_baseline_records()))
    s3.put_object(Bucket=bucket, Key="baselines/weather.json", Body=local.read_bytes())
    with serving(ForecastModel.fitted()) as url, scratch_session():
        from_disk = run_time_series(parse_config(_with_baseline(url, str(local))), data, tmp_path / "out1")
        from_s3 = run_time_series(parse_config(_with_baseline(url, f"s3://{bucket}/baselines/weather.json")), data,
                                  tmp_path / "out2")
    assert from_s3.lines == from_disk.lines
    zero = [e["scores"] for line in from_s3.lines for e in line["explanations"]]
    assert any(any(v != 0 for v in scores) for scores in zero)   # a real baseline: something is explained


def test_a_missing_or_malformed_baseline_object_is_named(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = write_series(tmp_path / "series.json")
    s3.put_object(Bucket=bucket, Key="baselines/broken.json", Body=b'[{"item_id": "a", "timestamp": ')
    s3.put_object(Bucket=bucket, Key="baselines/other.json",
                  Body=json.dumps(weather_records({"a": 3}, horizon=1)).encode())
    with serving(ForecastModel.fitted()) as url:
        for name, code in (("missing.json", 3), ("broken.json", 3), ("other.json", 3)):
            uri = f"s3://{bucket}/baselines/{name}"
            got, _ = run_job(tmp_path / name, _with_baseline(url, uri), data)
            text = message(tmp_path / name)
            assert got == code and uri in text and "\n" not in text.strip(), (name, got, text)
            assert not (tmp_path / name / "out" / "analysis.json").exists()
