"""Real HTTP servers for predictor tests: the example model server on a thread, and a fault-injecting
server whose "model" is simple enough to check by hand (score = first feature / 100)."""
from __future__ import annotations

import importlib.util
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from components import require_component  # the one fail-in-CI / skip-locally rule; re-exported

ROOT = Path(__file__).resolve().parents[2]
ADULT_TRAIN = ROOT / "data" / "adult" / "adult_train.csv"
ADULT_TEST = ROOT / "data" / "adult" / "adult_test.csv"


def load_script(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


serve = load_script(ROOT / "scripts" / "model_server" / "serve.py", "clarify_model_server")
train_model = load_script(ROOT / "examples" / "train_model.py", "clarify_train_model")




def adult_frame(rows: int, path: Path = ADULT_TEST) -> pd.DataFrame:
    require_component(path.exists(), f"{path} is missing; run `make data` (scripts/fetch_datasets.py)")
    return pd.read_csv(path, nrows=rows)


def small_model(directory: Path, rows: int = 1500) -> Path:
    """A quick Adult model (a few seconds) trained on the first ``rows`` training rows."""
    require_component(ADULT_TRAIN.exists(), f"{ADULT_TRAIN} is missing; run `make data`")
    subset = directory / "train.csv"
    pd.read_csv(ADULT_TRAIN, nrows=rows).to_csv(subset, index=False)
    return train_model.train(subset, directory / "model", max_iter=15, tarball=True)


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[str]:
    """Serve on a thread; yield the base URL; always shut down."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------------------ faults

@dataclass
class FaultPlan:
    """What the fault server does. Request numbers count from 0 over the server's life."""

    max_body: int | None = None                       # 413 above this many bytes
    statuses: dict[int, int] = field(default_factory=dict)   # request number -> status to answer
    hang: set[int] = field(default_factory=set)       # request numbers that never answer in time
    close: set[int] = field(default_factory=set)      # request numbers whose connection is dropped
    poison: float | None = None                       # a first-feature value the model fails on...
    poison_alone_ok: bool = True                      # ...only inside a batch (True) or always
    drop_one: bool = False                            # answer one prediction too few
    hang_seconds: float = 3.0
    requests: list[int] = field(default_factory=list)  # records per request received
    lock: threading.Lock = field(default_factory=threading.Lock)


def fault_server(plan: FaultPlan) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            lines = [line for line in body.decode().splitlines() if line]
            with plan.lock:
                number = len(plan.requests)
                plan.requests.append(len(lines))
            if number in plan.close:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if number in plan.hang:
                time.sleep(plan.hang_seconds)
            if number in plan.statuses:
                self._send(plan.statuses[number], b"injected failure")
                return
            if plan.max_body is not None and len(body) > plan.max_body:
                self._send(413, b"payload too large")
                return
            firsts = [float(line.split(",")[0]) for line in lines]
            if plan.poison is not None and plan.poison in firsts and (len(lines) > 1 or not plan.poison_alone_ok):
                self._send(500, b"model failed on this input")
                return
            scores = [f / 100 for f in firsts]
            if plan.drop_one:
                scores = scores[:-1]
            self._send(200, "".join(f"{s}\n" for s in scores).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def analysis_config(predictor: dict[str, Any], *, dataset_type: str = "text/csv",
                    methods: dict[str, Any] | None = None, **extra: Any) -> Any:
    from analyzer.config import parse_config

    raw = {"dataset_type": dataset_type, "label": "Target", "label_values_or_threshold": [1],
           "facet": [{"name_or_index": "Sex"}],
           "methods": methods or {"post_training_bias": {"methods": "all"}}, "predictor": predictor, **extra}
    if dataset_type != "text/csv":
        raw.setdefault("features", "features")
    return parse_config(raw)


def dumps(value: Any) -> str:
    return json.dumps(value)
