#!/usr/bin/env python3
"""Capture reading: 1M captured records (20 features, CSV encoded, ~1,000 capture files in
yyyy/mm/dd/hh folders) plus their ground truth read into the Dataset, timed in a fresh process.

    python bench/capture.py [--records 1000000] [--files 1000] [--keep DIR]

Target: < 20 s and < 2 GB peak RSS (the child process's ru_maxrss, interpreter and imports included).
The files are generated in a temporary directory first (not timed).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FEATURES = 20

CHILD = r"""
import json, resource, sys, time
started = time.perf_counter()
from analyzer.capture import CaptureSource, load_capture
from analyzer.capture.config import complete_for_capture
from analyzer.config.loader import parse_config
headers = [f"f{i}" for i in range(FEATURES)] + ["label"]
config = parse_config(complete_for_capture({"label_values_or_threshold": [1], "headers": headers,
                                            "facet": [{"name_or_index": "f0", "value_or_threshold": [1]}]}))
imported = time.perf_counter()
data = load_capture(config, CaptureSource(sys.argv[1], sys.argv[2]))
done = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu_s": usage.ru_utime + usage.ru_stime,
                  "rows": data.rows, "columns": int(data.frame.shape[1]), "import_s": imported - started,
                  "read_s": done - imported, "peak_rss_mb": usage.ru_maxrss / 1024,
                  "positive_predictions": int(data.frame["predicted_label"].sum())}))
""".replace("FEATURES", str(FEATURES))


def generate(root: Path, records: int, files: int, seed: int = 0) -> tuple[Path, Path, int]:
    """Single-record CSV events, ``records / files`` per file, an hour folder per 50 files."""
    rng = np.random.default_rng(seed)
    capture, truth = root / "capture" / "ep" / "AllTraffic", root / "groundtruth"
    per_file = records // files
    size = 0
    for f in range(files):
        hour = f"2024/01/{19 + f // 1200:02d}/{(f // 50) % 24:02d}"
        values = rng.integers(0, 100, size=(per_file, FEATURES))
        scores = rng.random(per_file)
        labels = rng.integers(0, 2, per_file)
        lines, truths = [], []
        for i in range(per_file):
            event_id = f"{f:05d}-{i:06d}"
            body = ",".join(map(str, values[i]))
            lines.append(json.dumps({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": body,
                                      "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                       "data": f"{scores[i]:.6f}", "encoding": "CSV"}},
                "eventMetadata": {"eventId": event_id, "inferenceTime": f"{hour[:10].replace('/', '-')}T"
                                                                        f"{hour[11:]}:{i % 60:02d}:00Z"},
                "eventVersion": "0"}, separators=(",", ":")))
            truths.append(json.dumps({"groundTruthData": {"data": str(labels[i]), "encoding": "CSV"},
                                      "eventMetadata": {"eventId": event_id}, "eventVersion": "0"},
                                     separators=(",", ":")))
        for folder, content in ((capture / hour, lines), (truth / hour, truths)):
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"part-{f:05d}.jsonl"
            path.write_text("\n".join(content) + "\n")
            size += path.stat().st_size
    return capture, truth, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        started = time.perf_counter()
        if args.keep and (root / "capture").exists():
            capture, truth, size = root / "capture" / "ep" / "AllTraffic", root / "groundtruth", 0
        else:
            capture, truth, size = generate(root, args.records, args.files)
        print(f"generated {args.records} records in {args.files} capture + {args.files} ground-truth files "
              f"({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(capture), str(truth)], env=env, check=True,
                             capture_output=True, text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["wall_s"] = time.perf_counter() - started
        result["load_average"] = os.getloadavg()
        print(json.dumps(result))
        ok = result["wall_s"] < 20 and result["peak_rss_mb"] < 2048
        print("target (< 20 s, < 2 GB):", "met" if ok else "NOT met", file=sys.stderr)


if __name__ == "__main__":
    main()
