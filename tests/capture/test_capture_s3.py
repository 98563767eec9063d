"""Capture and ground truth from S3 prefixes (moto's server) read exactly as the same local folders."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from capture_traffic import FEATURES, model_server, population, record_traffic

from analyzer.cli import main

pytestmark = [pytest.mark.s3, pytest.mark.slow]

CONFIG = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
          "headers": FEATURES + ["label"], "label": "label"}


def _upload(s3: Any, bucket: str, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*.jsonl")):
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{path.relative_to(folder).as_posix()}", Body=path.read_bytes())


def _run(tmp: Path, name: str, capture: str, truth: str) -> dict[str, Any]:
    (tmp / "config.json").write_text(json.dumps(CONFIG))
    out = tmp / name
    assert main(["run", "--config", str(tmp / "config.json"), "--output", str(out), "--base-dir", str(tmp / "ml"),
                 "--capture", capture, "--ground-truth", truth, "--start-time", "2024-01-19T06:00:00Z",
                 "--end-time", "2024-01-19T07:00:00Z"]) == 0
    return json.loads((out / "analysis.json").read_text())


def test_capture_from_s3_equals_local(s3: Any, bucket: str, tmp_path: Path) -> None:
    with model_server() as url:
        recording = record_traffic(url, population(200), tmp_path / "traffic", seconds_apart=90)
    _upload(s3, bucket, recording.capture_dir.parent.parent, "datacapture")
    _upload(s3, bucket, recording.truth_dir, "groundtruth")
    from_s3 = _run(tmp_path, "s3", f"s3://{bucket}/datacapture", f"s3://{bucket}/groundtruth")
    local = _run(tmp_path, "local", str(recording.capture_dir.parent.parent), str(recording.truth_dir))
    assert from_s3 == local and "post_training_bias_metrics" in local
