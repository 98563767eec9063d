#!/usr/bin/env python3
"""Benchmark: scale. Part (a): pre+post bias on a large CSV through `analyzer run`, read in chunks.

Data (seed 0, written in 1M-row pieces, never held whole): facet = 5 strings A-E with
p = .10/.15/.20/.25/.30, x float, group int with 20 values, binary label, binary prediction agreeing
with the label 80% of the time, in the data as ``pred`` (no model server). Config: facet "A", label [1],
group "group", every pre-training metric and every post-training metric but FT (FlipTest needs its
feature rows, which grow with the data: ``--ft`` adds it). Each job runs in a fresh process under
``/usr/bin/time``: wall time and peak RSS of the whole job, imports and output included.

    .venv/bin/python bench/scale.py --part a [--rows 1000000 3000000 10000000] [--work /tmp/scale]
        [--chunk-rows 250000] [--whole] [--ft] [--model]
    # --whole: also the in-memory path (--chunk-rows off); --model: predictions from an HTTP model server

Part shap: Kernel SHAP read in chunks (issue 13 item 1). An Adult-shaped CSV (14 features: 6 ints,
8 strings of few values; seed 0, written in pieces), a given one-row baseline, num_samples 4, local
values saved, predictions from a deterministic HTTP scorer in this file (one score per row). Peak
RSS and wall time per size, chunked (``--chunk-rows``) and with ``--whole`` also read whole; the
analysis.json and out.csv of both are compared byte for byte.

    .venv/bin/python bench/scale.py --part shap [--rows 100000 300000 1000000] [--chunk-rows 50000] [--whole]

Parts (b) and (c) (Kernel SHAP on Dask workers, an external scheduler) belong to the Dask work and
are run by their own functions/files (bench/scale_shap.py).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
POST_NO_FT = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]


def generate_csv(path: Path, rows: int, seed: int = 0, piece: int = 1_000_000) -> Path:
    """The synthetic dataset, written piece by piece (memory stays at one piece)."""
    if path.exists() and path.stat().st_size > 0 and path.with_suffix(".rows").exists() \
            and path.with_suffix(".rows").read_text() == str(rows):
        return path
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        f.write("facet,x,group,label,pred\n")
        for start in range(0, rows, piece):
            n = min(piece, rows - start)
            label = rng.integers(0, 2, n)
            pd.DataFrame({
                "facet": rng.choice(np.array(list("ABCDE")), n, p=[0.10, 0.15, 0.20, 0.25, 0.30]),
                "x": rng.random(n).round(6), "group": rng.integers(0, 20, n), "label": label,
                "pred": np.where(rng.random(n) < 0.8, label, 1 - label),
            }).to_csv(f, header=False, index=False)
    path.with_suffix(".rows").write_text(str(rows))
    return path


def config(ft: bool, endpoint: str | None = None) -> dict:
    """The job; with ``endpoint`` the predictions come from that model server instead of ``pred``."""
    post = "all" if ft else POST_NO_FT
    job = {"dataset_type": "text/csv", "label": "label", "label_values_or_threshold": [1],
           "predicted_label": "pred", "facet": [{"name_or_index": "facet", "value_or_threshold": ["A"]}],
           "group_variable": "group",
           "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": post}}}
    if endpoint:
        del job["predicted_label"]
        job.update(excluded_columns=["pred"], predictor={"endpoint_url": endpoint, "content_type": "text/csv",
                                                         "accept_type": "text/csv"})
    return job


class _Model(BaseHTTPRequestHandler):
    """A deterministic scorer of (facet, x, group) CSV rows: one score per row."""

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        rows = [r.split(",") for r in body.splitlines() if r]
        out = "".join(f"{min(1.0, float(x) * 0.8 + 0.1 * (f == 'A') + int(g) / 200):.6f}\n"
                      for f, x, g in rows).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def model_server(handler: type[BaseHTTPRequestHandler] = _Model) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/invocations"
    finally:
        server.shutdown()
        server.server_close()


def run_job(data: Path, work: Path, chunk_rows: str, ft: bool, endpoint: str | None = None,
            job: dict | None = None) -> dict:
    """One `analyzer run` in a fresh process (reports included): wall and CPU seconds, peak RSS (MB)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.json").write_text(json.dumps(job or config(ft, endpoint)))
    timing = work / "time.txt"
    command = ["/usr/bin/time", "-o", str(timing), "-f", "%e %M %U %S", sys.executable, "-m", "analyzer", "run",
               "--config", str(work / "config.json"), "--data", str(data), "--output", str(work / "out"),
               "--base-dir", str(work / "ml"), "--chunk-rows", chunk_rows]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"job failed ({done.returncode}): {done.stderr[-2000:]}")
    wall, kb, user, system = timing.read_text().split()[-4:]
    local = work / "out" / "explanations_shap" / "out.csv"
    return {"wall_s": float(wall), "cpu_s": float(user) + float(system), "peak_rss_mb": int(kb) / 1024,
            "analysis": (work / "out" / "analysis.json").read_bytes()
            + (hashlib.sha256(local.read_bytes()).digest() if local.exists() else b"")}


def part_a(sizes: list[int], work: Path, chunk_rows: str, whole: bool, ft: bool,
           endpoint: str | None = None) -> list[dict]:
    results = []
    for rows in sizes:
        data = generate_csv(work / f"bias_{rows}.csv", rows)
        modes = [chunk_rows] + (["off"] if whole else [])
        outputs = {}
        for mode in modes:
            result = run_job(data, work / f"job_{rows}_{mode}{'_model' if endpoint else ''}", mode, ft, endpoint)
            outputs[mode] = result.pop("analysis")
            result.update(rows=rows, chunk_rows=mode, ft=ft, load=os.getloadavg())
            results.append(result)
            print(f"{rows:>11,} rows  chunk-rows {mode:>6}  FT {'yes' if ft else 'no ':>3}  "
                  f"{'model server' if endpoint else 'pred in data'}  "
                  f"wall {result['wall_s']:7.1f} s  CPU {result['cpu_s']:7.1f} s  "
                  f"peak RSS {result['peak_rss_mb']:7.0f} MB  "
                  f"load {' / '.join(f'{x:.1f}' for x in result['load'])}", flush=True)
        if len(outputs) > 1:
            same = len(set(outputs.values())) == 1
            print(f"{'':>11}  analysis.json chunked vs whole: {'identical' if same else 'DIFFERENT'}", flush=True)
    return results


ADULT_INTS = {"Age": (17, 90), "fnlwgt": (10_000, 20_010), "Education-Num": (1, 16), "Capital Gain": (0, 3),
              "Capital Loss": (0, 2), "Hours per week": (1, 99)}
ADULT_TEXT = {"Workclass": 8, "Education": 16, "Marital Status": 7, "Occupation": 14, "Relationship": 6,
              "Ethnic group": 5, "Sex": 2, "Country": 41}


def generate_adult(path: Path, rows: int, seed: int = 0, piece: int = 250_000) -> Path:
    """An Adult-shaped CSV (Target last), written piece by piece."""
    if path.exists() and path.with_suffix(".rows").exists() and path.with_suffix(".rows").read_text() == str(rows):
        return path
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        f.write(",".join([*ADULT_INTS, *ADULT_TEXT, "Target"]) + "\n")
        for start in range(0, rows, piece):
            n = min(piece, rows - start)
            columns = {name: rng.integers(lo, hi, n) for name, (lo, hi) in ADULT_INTS.items()}
            columns.update({name: np.char.add(name[:3], rng.integers(0, k, n).astype(str))
                            for name, k in ADULT_TEXT.items()})
            pd.DataFrame({**columns, "Target": rng.integers(0, 2, n)}).to_csv(f, header=False, index=False)
    path.with_suffix(".rows").write_text(str(rows))
    return path


def shap_config(endpoint: str) -> dict:
    baseline = [[40, 15_000, 9, 0, 0, 40, "Wor0", "Edu0", "Mar0", "Occ0", "Rel0", "Eth0", "Sex0", "Cou0"]]
    return {"dataset_type": "text/csv", "label": "Target",
            "methods": {"shap": {"baseline": baseline, "num_samples": 4, "seed": 0, "save_local_shap_values": True}},
            "predictor": {"endpoint_url": endpoint, "content_type": "text/csv", "accept_type": "text/csv"}}


class _AdultModel(_Model):
    """A deterministic scorer of Adult-shaped rows (Age, Hours per week, Sex): each row's score depends on
    that row only, so chunked and whole runs can be compared byte for byte (bench/instant_server.py's
    canned scores depend on the row's place in its request)."""

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        out = "".join(f"{(int(r[0]) + int(r[5]) + 30 * (r[12] == 'Sex1')) / 220:.6f}\n"
                      for r in (line.split(",") for line in body.splitlines() if line)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


WHOLE_UP_TO = 100_000   # the in-memory path only up to here: its time, not its memory, is the limit here


def part_shap(sizes: list[int], work: Path, chunk_rows: str, whole: bool) -> None:
    with model_server(_AdultModel) as endpoint:
        for rows in sizes:
            data = generate_adult(work / f"adult_{rows}.csv", rows)
            outputs = {}
            for mode in [chunk_rows] + (["off"] if whole and rows <= WHOLE_UP_TO else []):
                result = run_job(data, work / f"shap_{rows}_{mode}", mode, False, job=shap_config(endpoint))
                outputs[mode] = result.pop("analysis")
                load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"{rows:>11,} rows  SHAP  chunk-rows {mode:>6}  wall {result['wall_s']:7.1f} s  "
                      f"CPU {result['cpu_s']:7.1f} s  peak RSS {result['peak_rss_mb']:7.0f} MB  load {load}",
                      flush=True)
            if len(outputs) > 1:
                same = len(set(outputs.values())) == 1
                print(f"{'':>11}  analysis.json + out.csv chunked vs whole: {'identical' if same else 'DIFFERENT'}",
                      flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["a", "shap"], default="a")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/scale"))
    parser.add_argument("--chunk-rows", default="250000", help="auto picks 250000 on a machine with 8+ GB free")
    parser.add_argument("--whole", action="store_true", help="also run the in-memory path")
    parser.add_argument("--ft", action="store_true", help="include FlipTest (holds its feature rows)")
    parser.add_argument("--model", action="store_true", help="predictions from an HTTP model server")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.part == "shap":
        part_shap(args.rows, args.work, args.chunk_rows, args.whole)
    elif args.model:
        with model_server() as endpoint:
            part_a(args.rows, args.work, args.chunk_rows, args.whole, args.ft, endpoint)
    else:
        part_a(args.rows, args.work, args.chunk_rows, args.whole, args.ft)


if __name__ == "__main__":
    main()
