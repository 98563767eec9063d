"""scripts/model_server/serve.py: answers encoded in bulk are json.dumps' text record by record (on
random labels and scores), JSON Lines requests parsed in one call read as line by line, and
``--workers`` serves from several processes with the same answers."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictor_servers import ROOT, adult_frame, running, serve

LABELS = st.sampled_from([np.array([0, 1]), np.array(["<=50K", ">50K"]), np.array([1.5, -2.0]),
                          np.array([True, False]), np.array(['a"b', "é"], dtype=object)])


@settings(max_examples=150, deadline=None)
@given(choices=LABELS, picks=st.lists(st.integers(0, 1), min_size=1, max_size=6),
       scores=st.lists(st.floats(0, 1) | st.sampled_from([float("nan"), 1e-300, 0.1]), min_size=3, max_size=3),
       width=st.sampled_from([0, 2, 3]))
def test_bulk_json_answers_are_json_dumps_per_record(choices, picks, scores, width) -> None:
    labels = choices[picks]
    probabilities = None if width == 0 else np.resize(np.array(scores), (len(picks), width))
    classes = None if width != 3 else ["x", 1, 2.5]
    records = serve._records(labels, probabilities, classes)
    assert serve.json_records(labels, probabilities, classes) == [json.dumps(r) for r in records]


def test_json_lines_requests_read_as_line_by_line(adult_model: Path) -> None:
    model = serve.Model(adult_model)
    frame = adult_frame(50).drop(columns=["Target"])
    lines = [json.dumps({"features": row}) for row in frame.astype(object).values.tolist()]
    body = ("\n".join(lines[:25]) + "\n\n" + "\n".join(lines[25:]) + "\n").encode()
    parsed = model.parse(body, serve.JSONLINES)
    assert parsed.equals(model.frame([json.loads(line) for line in lines]))
    with pytest.raises(serve.BadInput):   # two values on one line stay an error, as line by line
        model.parse(b"[1, 2]\n3, 4\n", serve.JSONLINES)


def _post(url: str, body: bytes, accept: str) -> bytes:
    request = urllib.request.Request(f"{url}/invocations", data=body,
                                     headers={"Content-Type": "text/csv", "Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from /proc (Linux)")
def test_workers_serve_the_same_answers(adult_model: Path) -> None:
    frame = adult_frame(200).drop(columns=["Target"])
    body = frame.to_csv(header=False, index=False).encode()
    with running(serve.build_server(adult_model, "127.0.0.1", 0)) as url:
        expected = {accept: _post(url, body, accept) for accept in (serve.CSV, serve.JSONLINES, serve.JSON)}
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "model_server" / "serve.py"), "--model-dir",
                                str(adult_model), "--host", "127.0.0.1", "--port", "0", "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = f"http://{process.stdout.readline().split()[-1]}"
        accepts = [serve.CSV, serve.JSONLINES, serve.JSON] * 4
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda accept: (accept, _post(url, body, accept)), accepts))
        assert all(answer == expected[accept] for accept, answer in answers)
        assert len(_children(process.pid)) == 2
    finally:
        workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close()
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{w}").exists() and "Z" not in _state(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{w}").exists() and "Z" not in _state(w) for w in workers)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_workers_must_be_positive(adult_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        serve.main(["--model-dir", str(adult_model), "--workers", "0"])
    assert stopped.value.code == 2 and "--workers must be at least 1" in capsys.readouterr().err
