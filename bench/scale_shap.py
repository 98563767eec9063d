#!/usr/bin/env python3
"""Kernel SHAP scale-out (issue 13, bench parts (b) and (c)): the same job (Adult rows, the example
model server as a separate process) on one host without Dask, then through an external Dask
scheduler (a LocalCluster of worker *processes* started here, reached with --scheduler) with 1 and
with 2 workers of one thread each. Every run must give the one-host analysis.json bytes.

    python bench/scale_shap.py [--rows 400] [--num-samples 200] [--model-dir out/bench-model]

Target (issue 13): >= 1.7x from 1 to 2 workers, measured with one CPU per worker; on a shared
machine the model server and the leader compete with the workers, so read the load average too.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import analyzer.job  # noqa: E402
from analyzer.cli import main  # noqa: E402


def _config(url: str, num_samples: int) -> dict:
    return {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
            "joinsource_name_or_index": "Id",
            "methods": {"shap": {"num_samples": num_samples, "num_clusters": 1, "seed": 0,
                                 "save_local_shap_values": True}},
            "predictor": {"endpoint_url": url, "accept_type": "application/jsonlines",
                          "label": "predicted_label", "probability": "score"}}


def _run(work: Path, name: str, *flags: str) -> tuple[float, bytes]:
    began = time.perf_counter()
    code = main(["run", "--config", str(work / "config.json"), "--data", str(work / "data.csv"),
                 "--output", str(work / name), "--base-dir", str(work / f"opt_{name}"), *flags])
    seconds = time.perf_counter() - began
    assert code == 0, f"{name} exited {code}"
    return seconds, (work / name / "analysis.json").read_bytes()


def main_bench() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--num-samples", type=int, default=200)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "out" / "bench-model")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    analyzer.job._write_reports = lambda *a, **k: (None, None)   # reports are not what is measured
    if not (args.model_dir / "model.joblib").exists():
        from train_model import train
        train(ROOT / "data" / "adult" / "adult_train.csv", args.model_dir)
    from distributed import LocalCluster

    server = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "model_server" / "serve.py"), "--model-dir",
                               str(args.model_dir), "--host", "127.0.0.1", "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://{server.stdout.readline().split()[-1]}/invocations"   # "listening on 127.0.0.1:PORT"
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            frame = pd.read_csv(ROOT / "data" / "adult" / "adult_test.csv", nrows=args.rows)
            frame.insert(0, "Id", range(len(frame)))
            frame.to_csv(work / "data.csv", index=False)
            (work / "config.json").write_text(json.dumps(_config(url, args.num_samples)))
            print(f"Kernel SHAP, {args.rows} Adult rows, num_samples {args.num_samples}, 1 baseline row; "
                  f"load average before: {os.getloadavg()[0]:.1f}")
            alone, reference = _run(work, "alone")
            print(f"| run | wall s | vs one host | same analysis.json |\n|---|---|---|---|\n"
                  f"| one host, no Dask | {alone:.1f} | 1.00x | - |")
            timings = {}
            for workers in (1, 2):
                with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1") as cluster:
                    _run(work, f"warm{workers}", "--scheduler", cluster.scheduler_address)  # imports on workers
                    seconds, document = _run(work, f"dask{workers}", "--scheduler", cluster.scheduler_address)
                timings[workers] = seconds
                print(f"| --scheduler, {workers} worker process(es) | {seconds:.1f} | {alone / seconds:.2f}x | "
                      f"{document == reference} |")
            print(f"1 -> 2 workers: {timings[1] / timings[2]:.2f}x; load average after: {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main_bench()
