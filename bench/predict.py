#!/usr/bin/env python3
"""Prediction throughput: rows/s through the HTTP backend (analyzer.predictor with the example model
server as a separate process on 127.0.0.1) against the same model called in-process; and the
analyzer's own CPU per predicted row (``--per-row``).

    python bench/predict.py [--rows 100000] [--model-dir out/bench-model]
    python bench/predict.py --per-row [--per-row-rows 400000]
    python bench/predict.py --concurrency 1 2 4 8     # also: requests in flight vs wall time
    python bench/predict.py --concurrency 1 2 4 8 --servers model:1 model:2 instant   # only that, per server

Targets: the HTTP path keeps >= 50% of the in-process throughput for 100k rows. Per row (issue 14):
a post-training bias job (`analyzer run`, its own process) that gets --per-row-rows predictions
from ``bench/instant_server.py`` (canned answers, no model) minus the same job with the predicted
labels in the data, in CPU seconds (user + sys of the job process, best of --repeats) per row:
<= 3 µs for CSV, <= 4 µs for JSON Lines with JMESPath label/probability. The last column is the
steadier in-process figure: CPU (all threads) of predict() + the label rules on the same rows.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import tempfile
import sys
import time
from pathlib import Path

import joblib
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "bench"))

from analyzer.config import parse_config  # noqa: E402
from analyzer.predictor import InProcessPredictor, open_predictor  # noqa: E402

FORMATS = {
    "csv → csv": {"content_type": "text/csv", "accept_type": "text/csv"},
    "csv → jsonlines": {"content_type": "text/csv", "accept_type": "application/jsonlines",
                        "label": "predicted_label", "probability": "score"},
    "jsonlines → jsonlines": {"content_type": "application/jsonlines", "accept_type": "application/jsonlines",
                              "content_template": '{"features":$features}', "probability": "score"},
}


def _rows(n: int, keep_target: bool = False) -> pd.DataFrame:
    test = pd.read_csv(ROOT / "data" / "adult" / "adult_test.csv")
    test = test if keep_target else test.drop(columns=["Target"])
    return pd.concat([test] * (n // len(test) + 1), ignore_index=True).iloc[:n]


def _best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


PER_ROW_FORMATS = {   # name: predictor keys, the instant server's CSV answer columns
    "csv → csv (score)": ({"content_type": "text/csv", "accept_type": "text/csv"}, None),
    "csv → csv (label,score by column)": ({"content_type": "text/csv", "accept_type": "text/csv",
                                           "label": 0, "probability": 1}, "label,score"),
    "csv → jsonlines (label + score by JMESPath)": (
        {"content_type": "text/csv", "accept_type": "application/jsonlines",
         "label": "predicted_label", "probability": "score"}, None),
    "jsonlines → jsonlines (label + score by JMESPath)": (
        {"content_type": "application/jsonlines", "accept_type": "application/jsonlines",
         "content_template": '{"features":$features}', "label": "predicted_label", "probability": "score"}, None),
}


def _job_cpu(config: dict, data: Path, work: Path) -> float:
    """CPU seconds (user + sys) of one `analyzer run` in its own process."""
    config_path = work / "config.json"
    config_path.write_text(json.dumps(config))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "analyzer", "run", "--config", str(config_path), "--data", str(data),
                    "--output", str(work / "out")], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _predict_cpu(url: str, keys: dict, base: dict, frame: pd.DataFrame, repeats: int) -> float:
    """CPU seconds (all threads of this process) of predict() + Clarify's label rules on ``frame``."""
    from analyzer.predictor import predicted_labels

    config = parse_config({**base, "predictor": {"endpoint_url": url, **keys}})
    features = frame.drop(columns=["Target"])
    with open_predictor(config, feature_names=list(features.columns)) as remote:
        remote.predict(features.iloc[:1000])   # warm: imports, connections
        best = float("inf")
        for _ in range(repeats):
            began = time.process_time()
            predicted_labels(remote.predict(features), config)
            best = min(best, time.process_time() - began)
    return best


def per_row(rows: int, repeats: int) -> None:
    """Analyzer CPU per predicted row against an instant server (module docstring)."""
    frame = _rows(rows, keep_target=True)
    frame["Target"] = (frame["Target"] == ">50K").astype(int)
    base = {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
            "methods": {"post_training_bias": {"methods": ["DPPL"]}}}
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "instant_server.py")],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://{server.stdout.readline().split()[-1]}/invocations"
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            plain, labelled = work / "plain.csv", work / "labelled.csv"
            frame.to_csv(plain, index=False)
            frame.assign(predicted=(frame.index % 3 == 0).astype(int)).to_csv(labelled, index=False)
            given = min(_job_cpu({**base, "predicted_label": "predicted"}, labelled, work) for _ in range(repeats))
            print(f"rows: {rows:,}; job with the predictions in the data: {given:.2f} CPU s "
                  f"(load average {os.getloadavg()[0]:.1f})")
            print("| request → response | job CPU s | minus predictions in data | µs per predicted row | "
                  "predict() alone in process, µs per row |")
            print("|---|---|---|---|---|")
            for name, (keys, csv_answer) in PER_ROW_FORMATS.items():
                query = f"?answer={csv_answer}" if csv_answer else ""   # the instant server's CSV columns
                config = {**base, "predictor": {"endpoint_url": url + query, **keys}}
                cpu = min(_job_cpu(config, plain, work) for _ in range(repeats))
                alone = _predict_cpu(url + query, keys, base, frame, repeats)
                print(f"| {name} | {cpu:.2f} | {cpu - given:.2f} | {(cpu - given) / rows * 1e6:.2f} | "
                      f"{alone / rows * 1e6:.2f} |", flush=True)
        print(f"load average at the end: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def _concurrency(url: str, frame: pd.DataFrame, levels: list[int], repeats: int, server_pid: int | None = None,
                 name: str = "the example model server") -> None:
    """Requests in flight (predictor.max_concurrency) against wall time and CPU: while the model works
    on one request, the other slots encode the next and decode the last."""
    from e2e import _server_cpu

    print(f"\nrequests in flight, csv → jsonlines, {len(frame):,} rows, {name} "
          f"(load average {' / '.join(f'{v:.2f}' for v in os.getloadavg())}):\n")
    print("| max_concurrency | wall s | rows/s | analyzer CPU s | server CPU s |")
    print("|---|---|---|---|---|")
    for level in levels:
        raw = {"dataset_type": "text/csv", "methods": {"post_training_bias": {"methods": ["DPPL"]}},
               "label": "Target", "label_values_or_threshold": [1], "facet": [{"name_or_index": "Sex"}],
               "predictor": {"endpoint_url": url, "max_concurrency": level, **FORMATS["csv → jsonlines"]}}
        with open_predictor(parse_config(raw), feature_names=list(frame.columns)) as remote:
            remote.predict(frame.iloc[:2000])  # connections open, server warm
            cpu_before = time.process_time()
            server_before = _server_cpu(server_pid) if server_pid else 0.0
            wall = _best_of(repeats, lambda: remote.predict(frame))
            cpu = (time.process_time() - cpu_before) / repeats
            server = (_server_cpu(server_pid) - server_before) / repeats if server_pid else float("nan")
        print(f"| {level} | {wall:.2f} | {len(frame) / wall:,.0f} | {cpu:.2f} | {server:.2f} |", flush=True)


def _per_server(servers: list[str], model_dir: Path, frame: pd.DataFrame, levels: list[int], repeats: int) -> None:
    """The concurrency table for each server: ``model:N`` = serve.py --workers N, ``instant`` =
    bench/instant_server.py (no model: what the analyzer alone sustains)."""
    print(f"{os.cpu_count()} cores")
    for spec in servers:
        if spec == "instant":
            command, name = [str(ROOT / "bench" / "instant_server.py")], "bench/instant_server.py"
        else:
            workers = spec.split(":")[1]
            command = [str(ROOT / "scripts" / "model_server" / "serve.py"), "--model-dir", str(model_dir),
                       "--host", "127.0.0.1", "--port", "0", "--workers", workers]
            name = f"serve.py --workers {workers}"
        server = subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        try:
            url = f"http://{server.stdout.readline().split()[-1]}/invocations"
            time.sleep(1.0)  # forked workers are up
            _concurrency(url, frame, levels, repeats, server.pid, name)
        finally:
            server.terminate()
            server.wait(timeout=10)
            server.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "out" / "bench-model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--per-row", action="store_true", help="analyzer CPU per predicted row instead")
    parser.add_argument("--concurrency", type=int, nargs="*", default=None,
                        help="also time these max_concurrency values (e.g. 1 2 4 8)")
    parser.add_argument("--per-row-rows", type=int, default=400_000)
    parser.add_argument("--servers", nargs="*", default=None,
                        help="with --concurrency: only the concurrency table, for each of these servers "
                             "(model:N = serve.py --workers N, instant = bench/instant_server.py)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.per_row:
        per_row(args.per_row_rows, args.repeats)
        return 0
    if not (args.model_dir / "model.joblib").exists():
        from train_model import train
        train(ROOT / "data" / "adult" / "adult_train.csv", args.model_dir)
    frame = _rows(args.rows)
    if args.servers:
        _per_server(args.servers, args.model_dir, frame, args.concurrency or [1, 2, 4, 8], args.repeats)
        return 0
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
        if args.concurrency:
            _concurrency(url, frame, args.concurrency, args.repeats, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
