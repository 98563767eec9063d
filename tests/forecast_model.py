"""A real forecasting model for the time-series tests: an autoregressive model with an exogenous
(related) series, an interaction and a static offset, fitted here by least squares on a simulated
history, and served over HTTP in DeepAR's request/response shapes.

Request ``{"instances": [{"start", "target", "dynamic_feat", "cat"}, ...]}`` (``$records``) or
``{"instances": {...}}`` (``$record``); answer ``{"predictions": [{"mean": [...]}, ...]}`` or
``{"predictions": {"mean": [...]}}``. The forecast is recursive over ``H`` steps: step ``t`` uses
the last two values, ``dynamic_feat[0][t]`` (a value known in advance, so related series run on
through the horizon), ``dynamic_feat[1][t - 1]`` and ``cat[0]``.

As a model container (needs only NumPy): ``python forecast_model.py serve`` serves the model saved
in /opt/ml/model (``ForecastModel.save``) on port 8080.
"""
from __future__ import annotations

import datetime
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import numpy as np

H = 3
COEF_FILE = "forecast_coef.json"


def _design(y1: np.ndarray, y2: np.ndarray, r0: np.ndarray, r1: np.ndarray, cat: np.ndarray) -> np.ndarray:
    return np.column_stack([y1, y2, r0, r1, y1 * r0 / 100, cat, np.ones_like(y1)])


@dataclass
class ForecastModel:
    coef: np.ndarray
    requests: list[Any] = field(default_factory=list)

    @classmethod
    def fitted(cls, seed: int = 0) -> "ForecastModel":
        """Least squares on a simulated history of 400 steps from three item kinds."""
        rng = np.random.default_rng(seed)
        rows, answers = [], []
        for cat in (0.0, 1.0, 2.0):
            r0, r1 = rng.normal(size=400), rng.normal(size=400)
            y = [10.0, 10.5]
            for t in range(2, 400):
                y.append(0.5 * y[-1] + 0.3 * y[-2] + 1.5 * r0[t] - 0.7 * r1[t - 1] + 0.2 * y[-1] * r0[t] / 100
                         + 0.8 * cat + 1.0 + rng.normal(scale=0.05))
            ys = np.array(y)
            rows.append(_design(ys[1:-1], ys[:-2], r0[2:], r1[1:-1], np.full(398, cat)))
            answers.append(ys[2:])
        coef, *_ = np.linalg.lstsq(np.vstack(rows), np.concatenate(answers), rcond=None)
        return cls(coef)

    def forecast(self, record: dict) -> list[float]:
        y = [float(v) for v in record["target"]]
        dyn = record.get("dynamic_feat") or []
        cat = float((record.get("cat") or [0.0])[0])
        out = []
        for _ in range(H):
            t = len(y)
            r0 = dyn[0][t] if dyn and t < len(dyn[0]) else 0.0
            r1 = dyn[1][t - 1] if len(dyn) > 1 and t - 1 < len(dyn[1]) else 0.0
            y1, y2 = y[-1], (y[-2] if len(y) > 1 else 0.0)
            value = float((_design(np.array([y1]), np.array([y2]), np.array([r0]), np.array([r1]),
                                   np.array([cat])) @ self.coef)[0])
            out.append(value)
            y.append(value)
        return out


    def save(self, directory: Path) -> Path:
        """The model's files (what a model container finds in /opt/ml/model)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / COEF_FILE).write_text(json.dumps(self.coef.tolist()))
        return directory

    @classmethod
    def load(cls, directory: Path) -> "ForecastModel":
        return cls(np.array(json.loads((directory / COEF_FILE).read_text())))


def build_server(model: ForecastModel, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """The model over HTTP: POST /invocations forecasts, GET /ping answers 200."""

    class Handler(BaseHTTPRequestHandler):
        def _send(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._send(b"{}")

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            model.requests.append(body)
            instances = body["instances"]
            if isinstance(instances, list):
                answer = {"predictions": [{"mean": model.forecast(r)} for r in instances]}
            else:
                answer = {"predictions": {"mean": model.forecast(instances)}}
            self._send(json.dumps(answer).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


@contextmanager
def serving(model: ForecastModel) -> Iterator[str]:
    """The model over HTTP on a thread; yields its /invocations URL."""
    server = build_server(model)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/invocations"
    finally:
        server.shutdown()
        server.server_close()


def weather_records(items: dict[str, int], horizon: int = 1, seed: int = 3) -> list[dict]:
    """timestamp_records like AWS's notebook data: per item ``n`` known pressures, then ``horizon``
    future steps with only the related series (rain, temperature) and the static elevation."""
    rng = np.random.default_rng(seed)
    out = []
    for k, (item, n) in enumerate(items.items()):
        for t in range(n + horizon):
            stamp = datetime.datetime(2020, 1, 1, 16) + datetime.timedelta(minutes=10 * t)
            record = {"item_id": item, "timestamp": stamp.strftime("%Y-%m-%d %H:%M:%S"),
                      "rain_mm": round(float(rng.normal()), 3), "T_degC": round(float(rng.normal()), 3),
                      "elev": float(k + 1)}
            if t < n:
                record["p_mbar"] = round(10 + float(rng.normal()), 3)
            out.append(record)
    rng.shuffle(out)   # the reader sorts by item and time
    return out


if __name__ == "__main__":   # a model container's `serve`
    assert sys.argv[1:] == ["serve"], sys.argv
    build_server(ForecastModel.load(Path("/opt/ml/model")), "0.0.0.0", 8080).serve_forever()
