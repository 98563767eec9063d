"""A small SageMaker-compatible model server for scikit-learn and XGBoost models.

    python serve.py --model-dir DIR --port 8080        # as a plain process
    <image> serve                                       # in a container (model in /opt/ml/model)

GET /ping answers 200 once the model is loaded. POST /invocations takes text/csv (no header),
application/jsonlines (one record per line: a list, {"features": [...]} or {name: value}) or
application/json ({"instances": [...]}, a list of records, or {"features": [...]}). Images
(image/png, image/jpeg, application/x-image: one image; application/x-npy: an (n, H, W, 3) array)
become one record per image: its RGB pixels flattened row by row (a model trained on pixels; needs
Pillow for PNG/JPEG). The Accept header picks the answer's format (default: the request's; JSON for
images):

    text/csv               one line per record: ``score`` (or ``label,score`` with --csv-output label,score;
                           all class probabilities for multiclass models)
    application/jsonlines  {"predicted_label": 1, "score": 0.98} per line
    application/json       {"predictions": [{"predicted_label": 1, "score": 0.98}, ...]}

``--workers N`` (or ``MODEL_SERVER_WORKERS``) serves with N processes forked after the model is
loaded (default 1; every process also takes concurrent connections on threads). Answers are
encoded in bulk: each distinct label once, scores by ``repr`` (the text json.dumps writes).

The model directory holds ``model.joblib`` (any estimator or Pipeline with predict_proba or
predict), an XGBoost booster (``xgboost-model``, ``model.json``, ``model.ubj``) or a LightGBM text
model (``model.txt``), and optionally
``model_meta.json``: {"feature_names": [...], "categorical": [...], "csv_output": "score"}.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger("model_server")

CSV, JSONLINES, JSON = "text/csv", "application/jsonlines", "application/json"
IMAGES, NPY = ("image/png", "image/jpeg", "application/x-image"), "application/x-npy"
XGBOOST_FILES = ("xgboost-model", "model.json", "model.ubj", "model.bst")
LIGHTGBM_FILES = ("model.txt",)


class BadInput(ValueError):
    """The request cannot be read: answered with HTTP 400."""


class Model:
    def __init__(self, model_dir: Path, csv_output: str | None = None) -> None:
        meta_path = model_dir / "model_meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        self.feature_names: list[str] | None = meta.get("feature_names")
        self.categorical: list[str] = list(meta.get("categorical", []))
        self.csv_output = csv_output or meta.get("csv_output", "score")
        self.booster = None
        self.estimator = None
        joblib_file = next((model_dir / n for n in ("model.joblib", "model.pkl") if (model_dir / n).exists()), None)
        xgb_file = next((model_dir / n for n in XGBOOST_FILES if (model_dir / n).exists()), None)
        lgb_file = next((model_dir / n for n in LIGHTGBM_FILES if (model_dir / n).exists()), None)
        self.lightgbm = None
        if joblib_file is not None:
            import joblib
            self.estimator = joblib.load(joblib_file)
        elif xgb_file is not None:
            import xgboost
            self.booster = xgboost.Booster()
            self.booster.load_model(bytearray(xgb_file.read_bytes()))  # format from the bytes, not the name
        elif lgb_file is not None:
            import lightgbm
            self.lightgbm = lightgbm.Booster(model_file=str(lgb_file))
        else:
            raise FileNotFoundError(f"no model.joblib, model.pkl, {', '.join(XGBOOST_FILES + LIGHTGBM_FILES)} "
                                    f"in {model_dir}")
        self.classes = list(getattr(self.estimator, "classes_", [])) or None

    # ---------------------------------------------------------------- input
    def frame(self, records: list[Any]) -> pd.DataFrame:
        if records and isinstance(records[0], dict):
            if "features" in records[0]:
                records = [r["features"] for r in records]
            else:
                frame = pd.DataFrame.from_records(records)
                return self._typed(frame[self.feature_names] if self.feature_names else frame)
        frame = pd.DataFrame(records, columns=self.feature_names)
        return self._typed(frame.infer_objects())

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        for column in self.categorical:
            if column in frame.columns:
                frame[column] = frame[column].astype(str)
        return frame

    def parse(self, body: bytes, content_type: str) -> pd.DataFrame:
        try:
            if content_type in IMAGES + (NPY,):
                return self._typed(pd.DataFrame(pixel_rows(body, content_type), columns=self.feature_names))
            if content_type == CSV:
                frame = pd.read_csv(io.BytesIO(body), header=None, names=self.feature_names,
                                    dtype={c: str for c in self.categorical} or None)
                return self._typed(frame)
            if content_type == JSONLINES:   # one parse for all lines: a JSON array of them
                lines = [line for line in body.decode().splitlines() if line.strip()]
                records = json.loads("[" + ",".join(lines) + "]")
                if len(records) != len(lines):   # e.g. a line "1,2": refused line by line, as ever
                    records = [json.loads(line) for line in lines]
                return self.frame(records)
            if content_type == JSON:
                document = json.loads(body)
                if isinstance(document, dict):
                    if "dataframe_split" in document:
                        split = document["dataframe_split"]
                        return self._typed(pd.DataFrame(split["data"], columns=split.get("columns")))
                    document = document.get("instances", document.get("inputs", [document]))
                return self.frame(document)
        except (ValueError, KeyError, TypeError, OSError) as exc:  # OSError: not an image
            raise BadInput(f"cannot read the {content_type} request: {exc}") from None
        raise BadInput(f"unsupported content type {content_type!r}; use {CSV}, {JSONLINES} or {JSON}")

    # ---------------------------------------------------------------- predict
    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """(labels, probabilities (n, C) or None)."""
        if self.booster is not None or self.lightgbm is not None:
            if self.booster is not None:
                import xgboost
                scores = self.booster.predict(xgboost.DMatrix(frame.to_numpy(dtype=float)))
            else:
                scores = np.asarray(self.lightgbm.predict(frame.to_numpy(dtype=float)))
            if scores.ndim == 2:
                return scores.argmax(axis=1), scores
            return (scores > 0.5).astype(int), np.column_stack([1 - scores, scores])
        if hasattr(self.estimator, "predict_proba"):
            probabilities = self.estimator.predict_proba(frame)
            return np.asarray(self.classes)[probabilities.argmax(axis=1)], probabilities
        return self.estimator.predict(frame), None

    # ---------------------------------------------------------------- output
    def answer(self, frame: pd.DataFrame, accept: str) -> bytes:
        labels, probabilities = self.predict(frame)
        binary = probabilities is not None and probabilities.shape[1] == 2
        if accept == CSV:
            if probabilities is None:
                lines = [_plain(v) for v in labels]
            elif binary:
                lines = list(map(repr, probabilities[:, 1].tolist()))
                if self.csv_output == "label,score":
                    lines = [f"{label},{score}" for label, score in zip(_texts(labels, _plain), lines)]
            else:
                lines = [",".join(map(repr, row)) for row in probabilities.tolist()]
            return ("\n".join(lines) + "\n").encode()
        if accept not in (JSONLINES, JSON):
            raise BadInput(f"unsupported accept type {accept!r}; use {CSV}, {JSONLINES} or {JSON}")
        records = json_records(labels, probabilities, self.classes)
        if accept == JSONLINES:
            return ("\n".join(records) + "\n").encode()
        return ('{"predictions": [' + ", ".join(records) + "]}").encode()


def pixel_rows(body: bytes, content_type: str) -> np.ndarray:
    """One row per image: its (H, W, 3) RGB pixels flattened row by row, as floats."""
    if content_type == NPY:
        images = np.load(io.BytesIO(body), allow_pickle=False)
    else:
        from PIL import Image
        images = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))[None]
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected RGB images, got an array of shape {images.shape}")
    return images.reshape(len(images), -1).astype(float)


def json_records(labels: np.ndarray, probabilities: np.ndarray | None, classes: list | None) -> list[str]:
    """One JSON object per record, the text ``json.dumps`` gives for
    ``{"predicted_label": ..., "score": ...}`` (plus "scores" and "labels" for multiclass), made
    in bulk: each distinct label encoded once, scores by ``repr`` (json.dumps' own float text)."""
    label_texts = _texts(labels, lambda v: json.dumps(_plain_json(v)))
    if probabilities is None:
        return [f'{{"predicted_label": {label}}}' for label in label_texts]
    if not np.isfinite(probabilities).all():   # NaN/Infinity: json.dumps' spelling, record by record
        return [json.dumps(r) for r in _records(labels, probabilities, classes)]
    if probabilities.shape[1] == 2:
        return [f'{{"predicted_label": {label}, "score": {score!r}}}'
                for label, score in zip(label_texts, probabilities[:, 1].tolist())]
    names = json.dumps([_plain_json(c) for c in (classes or range(probabilities.shape[1]))])
    return [f'{{"predicted_label": {label}, "score": {max(row)!r}, "scores": {json.dumps(row)}, "labels": {names}}}'
            for label, row in zip(label_texts, probabilities.tolist())]


def _records(labels: np.ndarray, probabilities: np.ndarray | None, classes: list | None) -> list[dict[str, Any]]:
    """The records as dicts: what ``json_records`` writes (the reference its tests compare with)."""
    records = []
    for i, label in enumerate(labels):
        record: dict[str, Any] = {"predicted_label": _plain_json(label)}
        if probabilities is not None and probabilities.shape[1] == 2:
            record["score"] = float(probabilities[i, 1])
        elif probabilities is not None:
            record["score"] = float(probabilities[i].max())
            record["scores"] = probabilities[i].tolist()
            record["labels"] = [_plain_json(c) for c in (classes or range(probabilities.shape[1]))]
        records.append(record)
    return records


def _texts(values: np.ndarray, text: Any) -> list[str]:
    """``text(v)`` for every value, computed once per distinct value."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return np.array([text(u) for u in uniques], dtype=object)[codes].tolist()


def _plain_json(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _plain(value: Any) -> str:
    return str(_plain_json(value))


def _media_type(header: str | None, default: str) -> str:
    value = (header or "").split(";")[0].strip().lower()
    return default if value in ("", "*/*") else value


def make_handler(model: Model, max_payload_bytes: int | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: Any) -> None:  # access logs only in debug mode
            log.debug(fmt, *args)

        def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?")[0] == "/ping":
                self._send(200, b"")
            else:
                self._send(404, b"not found")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.split("?")[0] != "/invocations":
                self._send(404, b"not found")
                return
            if max_payload_bytes is not None and length > max_payload_bytes:
                self._send(413, f"payload of {length} bytes is over the {max_payload_bytes} limit".encode())
                return
            content_type = _media_type(self.headers.get("Content-Type"), CSV)
            accept = _media_type(self.headers.get("Accept"), JSON if content_type in IMAGES + (NPY,) else content_type)
            try:
                self._send(200, model.answer(model.parse(body, content_type), accept), accept)
            except BadInput as exc:
                self._send(400, str(exc).encode())
            except Exception as exc:  # noqa: BLE001 - the model failed on this input
                log.exception("prediction failed")
                self._send(500, f"prediction failed: {type(exc).__name__}: {exc}".encode())

    return Handler


def build_server(model_dir: Path, host: str, port: int, *, csv_output: str | None = None,
                 max_payload_mb: float | None = None) -> ThreadingHTTPServer:
    model = Model(model_dir, csv_output)
    limit = int(max_payload_mb * 1024 * 1024) if max_payload_mb else None
    server = ThreadingHTTPServer((host, port), make_handler(model, limit))
    server.daemon_threads = True
    return server


def serve_workers(server: ThreadingHTTPServer, workers: int) -> None:
    """Serve with ``workers`` processes forked after the model is loaded, all accepting on the one
    listening socket (the kernel spreads connections); each handles its connections on threads.
    SIGTERM/SIGINT to this process stops them all."""
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve until told to stop
            signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
            signal.signal(signal.SIGINT, lambda *_: os._exit(0))
            try:
                server.serve_forever(poll_interval=0.2)
            finally:
                os._exit(0)
        children.append(pid)

    def stop(*_: Any) -> None:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    signal.signal(signal.SIGINT, lambda *_: (stop(), sys.exit(0)))
    try:
        for child in children:
            os.waitpid(child, 0)
    finally:
        stop()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # SageMaker starts model images as `<image> serve`
        argv = argv[1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=Path("/opt/ml/model"))
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--csv-output", choices=("score", "label,score"), default=None, metavar="FORMAT",
                        help="text/csv answers: 'score' or 'label,score' "
                             "(default: model_meta.json's csv_output, else score)")
    parser.add_argument("--max-payload-mb", type=float, default=None, help="answer 413 above this size")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("MODEL_SERVER_WORKERS", "1")),
                        help="processes serving requests (default 1, or $MODEL_SERVER_WORKERS); each also "
                             "handles concurrent connections on threads. More than 1 uses more cores "
                             "for models whose predict holds Python's GIL")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = build_server(args.model_dir, args.host, args.port, csv_output=args.csv_output,
                          max_payload_mb=args.max_payload_mb)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # PID 1 in a container has no default handler
    log.info("Serving %s on %s:%d with %d worker%s", args.model_dir, args.host, server.server_address[1],
             args.workers, "s" if args.workers > 1 else "")
    print(f"listening on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    try:
        if args.workers > 1:
            serve_workers(server, args.workers)
        else:
            server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
