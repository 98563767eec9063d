#!/usr/bin/env python3
"""Prediction throughput: rows/s through the HTTP backend (analyzer.predictor with the example model
server as a separate process on 127.0.0.1) against the same model called in-process.

    python bench/predict.py [--rows 100000] [--model-dir out/bench-model]

Target: the HTTP path keeps >= 50% of the in-process throughput for 100k rows.
"""
from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import joblib
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from analyzer.config import parse_config  # noqa: E402
from analyzer.predictor import InProcessPredictor, open_predictor  # noqa: E402

FORMATS = {
    "csv → csv": {"content_type": "text/csv", "accept_type": "text/csv"},
    "csv → jsonlines": {"content_type": "text/csv", "accept_type": "application/jsonlines",
                        "label": "predicted_label", "probability": "score"},
    "jsonlines → jsonlines": {"content_type": "application/jsonlines", "accept_type": "application/jsonlines",
                              "content_template": '{"features":$features}', "probability": "score"},
}


def _rows(n: int) -> pd.DataFrame:
    test = pd.read_csv(ROOT / "data" / "adult" / "adult_test.csv").drop(columns=["Target"])
    return pd.concat([test] * (n // len(test) + 1), ignore_index=True).iloc[:n]


def _best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "out" / "bench-model")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not (args.model_dir / "model.joblib").exists():
        from train_model import train
        train(ROOT / "data" / "adult" / "adult_train.csv", args.model_dir)
    frame = _rows(args.rows)
    meta = json.loads((args.model_dir / "model_meta.json").read_text())
    model = joblib.load(args.model_dir / "model.joblib")
    categorical = {c: str for c in meta["categorical"]}
    local = InProcessPredictor(lambda f: model.predict_proba(f.astype(categorical))[:, 1],
                               max_rows_per_call=len(frame))
    in_process = _best_of(args.repeats, lambda: local.predict(frame))
    print(f"rows: {len(frame)}; in-process: {in_process:.2f} s = {len(frame) / in_process:,.0f} rows/s")

    server = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "model_server" / "serve.py"), "--model-dir",
                               str(args.model_dir), "--host", "127.0.0.1", "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # "listening on 127.0.0.1:PORT"
        url = f"http://{line.split()[-1]}/invocations"
        print("| request → response | HTTP s | HTTP rows/s | in-process rows/s | HTTP / in-process |")
        print("|---|---|---|---|---|")
        for name, keys in FORMATS.items():
            raw = {"dataset_type": "text/csv", "methods": {"post_training_bias": {"methods": ["DPPL"]}},
                   "label": "Target", "label_values_or_threshold": [1], "facet": [{"name_or_index": "Sex"}],
                   "predictor": {"endpoint_url": url, **keys}}
            with open_predictor(parse_config(raw), feature_names=list(frame.columns)) as remote:
                http = _best_of(args.repeats, lambda: remote.predict(frame))
            print(f"| {name} | {http:.2f} | {len(frame) / http:,.0f} | {len(frame) / in_process:,.0f} | "
                  f"{in_process / http:.0%} |")
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
