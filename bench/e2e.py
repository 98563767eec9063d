#!/usr/bin/env python3
"""The Adult end-to-end job against the example model server, timed from outside (issue 14).

    python bench/e2e.py [--num-samples 100 15] [--workers 1] [--concurrency N] [--model-dir out/bench-model]
    python bench/e2e.py --pretraining [--repeat 5]

Per run: `analyzer run` as its own process on Adult train (32,561 rows): pre- and post-training
bias (all metrics), Kernel SHAP with a 1-row baseline (the median / most frequent value of each
feature) and ``--num-samples``, and the reports; the model is examples/train_model.py's (ordinal
encoding + HistGradientBoosting, 100 iterations) behind ``scripts/model_server/serve.py`` as a
separate process on 127.0.0.1 (CSV requests, JSON Lines answers by JMESPath, as in the demo).

``--pretraining``: the pre-training-only job (all pre-training metrics, the three reports, no
model) ``--repeat`` times; target < 3 s wall on an idle machine (issue 14).

Prints a RESULTS-ready table: wall seconds; CPU seconds of the analyzer, of the model server, and
the cores left idle (cores x wall - both); model evaluations; and the time per stage read from the
job's log; and the share of the Kernel SHAP stage with no model call running and of the model
session with no request in flight ("model idle"). Target: <= 60 s wall on an idle 2-core machine
for num_samples=100.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
DATA = ROOT / "data" / "adult" / "adult_train.csv"
TICK = os.sysconf("SC_CLK_TCK")

# (stage, a text of the log line that starts it), in the job's order; a stage ends where the next
# one starts. "start" runs from the process start to the first log line (imports, config).
STAGES = [("read data", "Loading dataset"), ("model session", "Using model server"),
          ("predictions", "Getting predictions from the endpoint"), ("post-training bias", "analyzer.bias:"),
          ("Kernel SHAP", "SHAP n_samples"), ("pre-training bias", "Calculating pre-training bias metrics"),
          ("reports", "Calculating bias statistics for report"), ("finish", "Collected analyses")]
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def _process_cpu(pid: int) -> float:
    """user + sys seconds of a running process and of its children that ended and were reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICK


def _server_cpu(pid: int) -> float:
    """The server and its live worker processes (``--workers``)."""
    total = _process_cpu(pid)
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += _process_cpu(int(child))
        except OSError:
            pass
    return total


def _baseline(frame: pd.DataFrame) -> list:
    row = []
    for column in frame.columns:
        values = frame[column]
        row.append(int(values.median()) if pd.api.types.is_numeric_dtype(values) else str(values.mode()[0]))
    return row


def _config(url: str, baseline: list, num_samples: int, concurrency: int | None = None) -> dict:
    return {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
            "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
            "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                        "shap": {"baseline": [baseline], "num_samples": num_samples, "agg_method": "mean_abs"},
                        "report": {"name": "report", "title": "Adult end to end"}},
            "predictor": {"endpoint_url": url, "content_type": "text/csv", "accept_type": "application/jsonlines",
                          "label": "predicted_label", "probability": "score",
                          **({"max_concurrency": concurrency} if concurrency else {})}}


def _stages(log: str, began: datetime, wall: float,
            stages: list[tuple[str, str]] = STAGES) -> dict[str, float]:
    """Seconds per stage from the log's timestamps (markers found in order)."""
    found: list[tuple[str, datetime]] = [("start", began)]
    waiting = list(stages)
    for line in log.splitlines():
        stamp = _STAMP.match(line)
        if stamp and waiting and waiting[0][1] in line:
            found.append((waiting.pop(0)[0], datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f")))
    ends = [t for _, t in found[1:]] + [began + timedelta(seconds=wall)]
    return {name: (end - start).total_seconds() for (name, start), end in zip(found, ends)}


def _percent(pattern: str, log: str) -> str:
    found = re.search(pattern, log)
    return f"{found.group(1)}%" if found else "-"


def run_job(url: str, server_pid: int, baseline: list, num_samples: int, work: Path, data: Path,
            concurrency: int | None = None) -> dict:
    config = work / f"config-{num_samples}.json"
    config.write_text(json.dumps(_config(url, baseline, num_samples, concurrency)))
    out = work / f"out-{num_samples}"
    server_before = _server_cpu(server_pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began, clock = time.perf_counter(), datetime.now()
    job = subprocess.run([sys.executable, "-m", "analyzer", "run", "--config", str(config), "--data", str(data),
                          "--output", str(out)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if os.environ.get("BENCH_LOG"):
        Path(os.environ["BENCH_LOG"]).write_text(job.stderr)
    if job.returncode != 0:
        sys.exit(f"the job failed (exit {job.returncode}):\n{job.stderr[-3000:]}")
    evaluations = re.search(r"a total of (\d+) requests", job.stderr)
    return {"num_samples": num_samples, "wall": wall,
            "analyzer": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "server": _server_cpu(server_pid) - server_before,
            "requests": int(evaluations.group(1)) if evaluations else None,
            "model_rows": sum(map(int, re.findall(r"(\d+) model rows", job.stderr))),
            "shap_idle": _percent(r"Kernel SHAP: .*model idle (\d+)%", job.stderr),
            "session_idle": _percent(r"the model was idle (\d+)% of the session", job.stderr),
            "stages": _stages(job.stderr, clock, wall)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-samples", type=int, nargs="+", default=[100, 15])
    parser.add_argument("--workers", type=int, default=1, help="model server processes (serve.py --workers)")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "out" / "bench-model")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="predictor.max_concurrency (default: the analyzer's own default)")
    parser.add_argument("--rows", type=int, default=None, help="only the first ROWS rows (a quick check)")
    parser.add_argument("--pretraining", action="store_true",
                        help="the pre-training-only job with reports instead (no model)")
    parser.add_argument("--repeat", type=int, default=5, help="--pretraining: runs (the table has each and the median)")
    args = parser.parse_args()
    if args.pretraining:
        return pretraining(args.repeat)
    if not (args.model_dir / "model.joblib").exists():
        from train_model import train
        train(DATA, args.model_dir)
    data = pd.read_csv(DATA, nrows=args.rows)
    frame = data.drop(columns=["Target"])
    server = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "model_server" / "serve.py"), "--model-dir",
                               str(args.model_dir), "--host", "127.0.0.1", "--port", "0",
                               "--workers", str(args.workers)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    cores = os.cpu_count() or 1
    try:
        url = f"http://{server.stdout.readline().split()[-1]}/invocations"
        time.sleep(1.0)   # the workers (if any) are forked and idle
        load_before = os.getloadavg()
        with tempfile.TemporaryDirectory() as tmp:
            path = DATA if args.rows is None else Path(tmp) / "data.csv"
            if args.rows is not None:
                data.to_csv(path, index=False)
            results = [run_job(url, server.pid, _baseline(frame), n, Path(tmp), path, args.concurrency)
                       for n in args.num_samples]
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
    print(f"Adult train ({len(frame):,} rows), model server --workers {args.workers}, {cores} cores, "
          f"max_concurrency {args.concurrency or 'default'}; "
          f"load average before {' / '.join(f'{v:.2f}' for v in load_before)}, "
          f"after {' / '.join(f'{v:.2f}' for v in load_after)}")
    print()
    names = ["start"] + [name for name, _ in STAGES]
    print("| num_samples | wall s | analyzer CPU s | model server CPU s | idle core-s | requests | SHAP model rows | "
          "model idle in Kernel SHAP | model idle in session | " + " | ".join(f"{n} s" for n in names) + " |")
    print("|" + "---|" * (9 + len(names)))
    for r in results:
        idle = max(0.0, cores * r["wall"] - r["analyzer"] - r["server"])
        stages = " | ".join(f"{r['stages'][n]:.1f}" if n in r["stages"] else "-" for n in names)
        print(f"| {r['num_samples']} | {r['wall']:.1f} | {r['analyzer']:.1f} | {r['server']:.1f} | {idle:.1f} | "
              f"{r['requests']} | {r['model_rows']:,} | {r['shap_idle']} | {r['session_idle']} | {stages} |")
    return 0


# -- the pre-training-only job (issue 14: "a pre-training-only job on Adult including all reports < 3 s") --
PRE_STAGES = [("read data", "Loading dataset"), ("pre-training bias", "Calculating pre-training bias metrics"),
              ("reports", "Calculating bias statistics for report"), ("finish", "Collected analyses")]


def _pretraining_run(config: Path, out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)   # the job and its PDF process, once reaped
    began, clock = time.perf_counter(), datetime.now()
    job = subprocess.run([sys.executable, "-m", "analyzer", "run", "--config", str(config), "--data", str(DATA),
                          "--output", str(out)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if job.returncode != 0 or "report not written" in job.stderr:
        sys.exit(f"the job failed (exit {job.returncode}):\n{job.stderr[-3000:]}")
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "stages": _stages(job.stderr, clock, wall, PRE_STAGES)}


def pretraining(repeat: int) -> int:
    """Run the job ``repeat`` times; print one row per run and the median."""
    import statistics

    config = {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
              "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
              "methods": {"pre_training_bias": {"methods": "all"},
                          "report": {"name": "report", "title": "Adult pre-training bias"}}}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config))
        runs = [_pretraining_run(path, Path(tmp) / f"out-{i}") for i in range(repeat)]
    load_after = os.getloadavg()
    names = ["start"] + [name for name, _ in PRE_STAGES]
    print(f"Pre-training-only job with reports, Adult train (32,561 rows), {os.cpu_count()} cores; load average "
          f"before {' / '.join(f'{v:.2f}' for v in load_before)}, after {' / '.join(f'{v:.2f}' for v in load_after)}")
    print()
    print("| run | wall s | CPU s (job + PDF process) | " + " | ".join(f"{n} s" for n in names) + " |")
    print("|" + "---|" * (3 + len(names)))
    rows = [(str(i + 1), r["wall"], r["cpu"], [r["stages"].get(n) for n in names]) for i, r in enumerate(runs)]
    rows.append(("median", statistics.median(r["wall"] for r in runs), statistics.median(r["cpu"] for r in runs),
                 [statistics.median(r["stages"].get(n) or 0.0 for r in runs) for n in names]))
    for label, wall, cpu, stages in rows:
        cells = " | ".join("-" if s is None else f"{s:.2f}" for s in stages)
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
