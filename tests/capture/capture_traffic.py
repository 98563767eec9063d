"""Real captured traffic for tests: a tiny model served over HTTP, real requests, and the
responses recorded into Model Monitor capture files the way SageMaker data capture writes them.

The model: score = sigmoid(w · x + b), served as ``text/csv`` (one score per line) and as
``application/jsonlines`` (``{"features": [...]}`` in, ``{"score": s, "predicted_label": l}`` out).
"""
from __future__ import annotations

import base64
import json
import urllib.request
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from model_servers import serving

FEATURES = ["sex", "age", "income", "tenure"]
WEIGHTS = np.array([0.9, 0.03, 0.00002, -0.15])
BIAS = -2.0


def score(rows: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(rows @ WEIGHTS + BIAS)))


def population(n: int, seed: int = 7) -> pd.DataFrame:
    """Features and a ground-truth label that the model gets mostly right."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "sex": rng.integers(0, 2, n),
        "age": rng.integers(18, 80, n),
        "income": rng.integers(10_000, 120_000, n),
        "tenure": rng.integers(0, 30, n),
    })
    noisy = score(frame[FEATURES].to_numpy(dtype=float)) + rng.normal(0, 0.15, n)
    frame["label"] = (noisy > 0.5).astype(int)
    return frame


def _respond(body: str, kind: str) -> tuple[str, str]:
    if kind == "text/csv":
        rows = np.array([[float(v) for v in line.split(",")] for line in body.splitlines() if line])
        return "\n".join(repr(float(s)) for s in score(rows)) + "\n", kind
    rows = np.array([json.loads(line)["features"] for line in body.splitlines() if line], dtype=float)
    return "".join(json.dumps({"score": float(s), "predicted_label": int(s > 0.5)}) + "\n" for s in score(rows)), kind


def model_server() -> AbstractContextManager[str]:
    return serving(_respond)


def invoke(url: str, body: str, kind: str) -> str:
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": kind}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def _payload(text: str, kind: str, encoding: str, mode: str) -> dict:
    data = base64.b64encode(text.encode()).decode() if encoding == "BASE64" else text
    return {"observedContentType": kind, "mode": mode, "data": data, "encoding": encoding}


@dataclass
class Recording:
    """What was captured: capture files, ground-truth files, and the rows each event sent."""

    capture_dir: Path
    truth_dir: Path
    rows: list[pd.DataFrame] = field(default_factory=list)          # per event, with label and score
    has_truth: list[bool] = field(default_factory=list)

    def expected(self) -> pd.DataFrame:
        """The records that have ground truth, in capture order: what the analysis should see."""
        kept = [r for r, t in zip(self.rows, self.has_truth, strict=True) if t]
        return pd.concat(kept, ignore_index=True)


def record_traffic(url: str, frame: pd.DataFrame, root: Path, *, kind: str = "text/csv",
                   start: datetime = datetime(2024, 1, 19, 5, 0, tzinfo=timezone.utc),
                   seconds_apart: int = 29, no_truth_every: int = 7, base64_every: int = 5,
                   truth_json_every: int = 0) -> Recording:
    """Send ``frame`` to the model in events of 1, 2, 3, 1, 2, 3 ... records and capture each
    request/response pair like SageMaker data capture (hour folders, one JSON line per event)."""
    recording = Recording(root / "capture" / "endpoint-1" / "AllTraffic", root / "groundtruth")
    lines: dict[Path, list[str]] = {}
    truths: dict[Path, list[str]] = {}
    position, event = 0, 0
    while position < len(frame):
        size = 1 + event % 3
        part = frame.iloc[position:position + size]
        position += size
        values = part[FEATURES]
        if kind == "text/csv":
            body = "\n".join(",".join(str(v) for v in row) for row in values.itertuples(index=False))
            encoding = "CSV"
        else:
            body = "\n".join(json.dumps({"features": [int(v) for v in row]}) for row in values.itertuples(index=False))
            encoding = "JSON"
        answer = invoke(url, body, kind)
        if base64_every and event % base64_every == 3:
            encoding = "BASE64"
        when = start + timedelta(seconds=event * seconds_apart)
        event_id = str(uuid.uuid4())
        metadata = {"eventId": event_id, "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if event % 2 == 0:
            metadata["inferenceId"] = f"inference-{event}"
        line = {"captureData": {"endpointInput": _payload(body, kind, encoding, "INPUT"),
                                "endpointOutput": _payload(answer, kind, encoding, "OUTPUT")},
                "eventMetadata": metadata, "eventVersion": "0"}
        folder = recording.capture_dir / when.strftime("%Y/%m/%d/%H")
        lines.setdefault(folder / "capture-0.jsonl", []).append(json.dumps(line))
        scores = [float(v) for v in answer.splitlines()] if kind == "text/csv" else [
            json.loads(v)["score"] for v in answer.splitlines()]
        recording.rows.append(part.assign(score=scores))
        truth = not (no_truth_every and event % no_truth_every == 5)
        recording.has_truth.append(truth)
        if truth:
            key = metadata.get("inferenceId", event_id)
            labels = [str(v) for v in part["label"]]
            as_json = truth_json_every and event % truth_json_every == 1
            data = ("\n".join(json.dumps({"label": int(v)}) for v in part["label"]) if as_json
                    else "\n".join(labels))
            truths.setdefault(recording.truth_dir / "2024/01/20/00/truth.jsonl", []).append(json.dumps(
                {"groundTruthData": {"data": data, "encoding": "JSON" if as_json else "CSV"},
                 "eventMetadata": {"eventId": key}, "eventVersion": "0"}))
        event += 1
    for files in (lines, truths):
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(content) + "\n")
    return recording
