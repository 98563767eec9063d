"""A 300 MB S3 prefix is loaded with bounded memory: the peak RSS of a loader subprocess reading it
from S3 is compared with the same loader reading the same files from local disk, and with the data size.

What is measured: a fresh Python process runs ``load_dataset`` (download + CSV parsing + concat) on
300 MB of numeric CSV, as 20 part files of 15 MB and as one 300 MB object (ranged, multipart
download). 8 float columns printed with 17 decimals make the float64 frame ~0.4x the CSV bytes,
so a storage layer that buffered objects in memory would show. The peak is the process's VmHWM
(= ru_maxrss), which includes the interpreter, pandas and boto3 (~100 MB), the frame, and for
part files pandas' concat copy.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))  # the shared S3 harness
from s3_harness import bucket, moto_server, s3  # noqa: E402,F401  (fixtures)

pytestmark = [pytest.mark.s3, pytest.mark.slow]

TOTAL_BYTES = 300 * 1000 * 1000
LOADER_TIMEOUT_S = 240

LOADER = r"""
import json, sys, time
from analyzer.config import parse_config
from analyzer.data import load_dataset
from analyzer.storage import scratch_session

config = parse_config({"dataset_type": "text/csv", "headers": [f"c{i}" for i in range(8)], "label": "c7",
                       "label_values_or_threshold": [0.5], "facet": [{"name_or_index": "c0"}],
                       "methods": {"pre_training_bias": {"methods": "all"}}})
started = time.monotonic()
with scratch_session():
    frame = load_dataset(config, sys.argv[1]).frame
seconds = time.monotonic() - started
status = dict(line.split(":", 1) for line in open("/proc/self/status") if line.startswith("Vm"))
print(json.dumps({"rows": len(frame), "frame_mb": frame.memory_usage(deep=True).sum() / 2**20,
                  "peak_mb": int(status["VmHWM"].split()[0]) / 1024, "seconds": seconds}))
"""


def _part(size: int) -> bytes:
    rows = size // (8 * 20)
    values = np.random.default_rng(0).random((rows, 8))
    text = "\n".join(",".join(f"{v:.17f}" for v in row) for row in values.tolist()) + "\n"
    return text.encode()


def _load(uri: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", LOADER, uri], env=env, capture_output=True, text=True,
                          timeout=LOADER_TIMEOUT_S, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("parts", [20, 1], ids=["20-parts", "one-object"])
def test_300mb_peak_memory(s3: Any, bucket: str, tmp_path: Path, record_property: Any, parts: int) -> None:
    started = time.monotonic()
    chunk = _part(TOTAL_BYTES // 20)  # formatting floats is slow: one 15 MB chunk, repeated
    local = tmp_path / "local"
    local.mkdir()
    for i in range(parts):
        with open(local / f"part-{i:05d}.csv", "wb") as f:
            for _ in range(20 // parts):
                f.write(chunk)
        s3.upload_file(str(local / f"part-{i:05d}.csv"), bucket, f"big/part-{i:05d}.csv")
    setup_s = time.monotonic() - started
    data_mb = sum(p.stat().st_size for p in local.iterdir()) / 2**20
    env = {**os.environ, "ANALYZER_TMPDIR": str(tmp_path)}
    try:
        from_disk = _load(str(local), env)
        from_s3 = _load(f"s3://{bucket}/big/", env)
    finally:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"big/part-{i:05d}.csv"} for i in range(parts)]})
    for name, value in [("data_mb", data_mb), ("setup_s", setup_s), ("local", from_disk), ("s3", from_s3)]:
        record_property(name, value)
    print(f"\n{parts} x {data_mb / parts:.0f} MiB: local {from_disk}; S3 {from_s3}; setup {setup_s:.1f} s")

    assert from_s3["rows"] == from_disk["rows"] == TOTAL_BYTES // 160
    # The S3 path adds boto3 and bounded transfer buffers (8 threads x a few MB), not a copy of the data.
    assert from_s3["peak_mb"] - from_disk["peak_mb"] < 150
    # Well under twice the data size, for part files and for one large object (which the CSV reader
    # parses in row chunks). Measured here: 1.35x (20 parts) and 1.55x (one object, multipart download).
    assert from_s3["peak_mb"] < 1.75 * data_mb
