"""The overlapped chunk pipeline (analyzer.explain._pipeline) and Kernel SHAP through it: same order and
bits as the plain loop whatever the model's latency, steps really overlapped, bounded memory, and errors
or a stop signal anywhere leave no thread running."""
from __future__ import annotations

import json
import random
import re
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer import job
from analyzer.cli import main
from analyzer.errors import EndpointError, Interrupted
from analyzer.explain import kernel_shap, local_values_frame
from analyzer.explain._pipeline import overlapped
from analyzer.predictor.batching import RemotePredictor
from model_servers import serving

WAIT_S = 10  # generous: a step that never comes fails the test instead of hanging it


@pytest.fixture(autouse=True)
def _overlap_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Overlapped whatever this machine's CPU count (``auto`` turns it off on small hosts)."""
    monkeypatch.setenv("ANALYZER_KERNEL_SHAP_OVERLAP", "1")


def _helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("kernel-shap")]


class Steps:
    """build/call/finish that record what ran, with random sleeps so the threads interleave."""

    def __init__(self, seed: int = 0, fail: tuple[str, int] | None = None, exc: BaseException | None = None):
        self.rng = random.Random(seed)
        self.fail, self.exc = fail, exc or ValueError("boom")
        self.built: list[int] = []
        self.called: list[int] = []
        self.finished: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def _nap(self, what: str, k: int) -> None:
        with self.lock:
            pause = self.rng.uniform(0, 0.004)
        time.sleep(pause)
        if self.fail == (what, k):
            raise self.exc

    def build(self, k: int) -> tuple[int, int]:
        self._nap("build", k)
        self.built.append(k)
        return 10 * k, k

    def call(self, model_input: int) -> int:
        k = model_input // 10
        self._nap("call", k)
        self.called.append(k)
        return model_input + 1

    def finish(self, state: int, answer: int) -> None:
        self._nap("finish", state)
        self.finished.append((state, answer))


@pytest.mark.parametrize("seed", range(5))
def test_same_order_and_answers_as_the_plain_loop(seed: int) -> None:
    steps = Steps(seed)
    overlapped(range(20), steps.build, steps.call, steps.finish)
    assert steps.built == steps.called == list(range(20))
    assert steps.finished == [(k, 10 * k + 1) for k in range(20)]
    assert not _helpers()


def test_the_plain_loop_when_overlapping_is_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_KERNEL_SHAP_OVERLAP", "0")
    steps = Steps(3)
    threads = []
    overlapped(range(8), steps.build, lambda i: threads.append(threading.current_thread()) or steps.call(i),
               lambda s, a: threads.append(threading.current_thread()) or steps.finish(s, a))
    assert steps.built == steps.called == list(range(8))
    assert steps.finished == [(k, 10 * k + 1) for k in range(8)]
    assert set(threads) == {threading.current_thread()}


@pytest.mark.parametrize(("value", "cpus", "expected"), [("auto", 1, False), ("auto", 2, True), ("0", 64, False),
                                                         ("1", 1, True), (" AUTO ", 16, True)])
def test_when_it_overlaps(value: str, cpus: int, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.explain import _pipeline

    monkeypatch.setenv("ANALYZER_KERNEL_SHAP_OVERLAP", value)
    monkeypatch.setattr(_pipeline.os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert _pipeline.enabled() is expected


def test_next_build_and_last_finish_run_while_the_model_works() -> None:
    """call(k) returns only once build(k+1) and finish(k-1) have started: a loop that did them one
    after the other would never get there."""
    built = [threading.Event() for _ in range(6)]
    finishing = [threading.Event() for _ in range(6)]
    seen: list[int] = []

    def build(k: int) -> tuple[int, int]:
        built[k].set()
        return k, k

    def call(k: int) -> int:
        if k + 1 < 6:
            assert built[k + 1].wait(WAIT_S), f"chunk {k + 1} was not built while chunk {k} was called"
        if k >= 1:
            assert finishing[k - 1].wait(WAIT_S), f"chunk {k - 1} was not finished while chunk {k} was called"
        return k

    def finish(k: int, answer: int) -> None:
        finishing[k].set()
        seen.append(answer)

    overlapped(range(6), build, call, finish)
    assert seen == list(range(6))


def test_at_most_two_chunks_of_input_are_alive() -> None:
    alive = {"now": 0, "most": 0}
    lock = threading.Lock()

    class Rows:  # stands for a chunk's synthetic rows
        def __init__(self) -> None:
            with lock:
                alive["now"] += 1
                alive["most"] = max(alive["most"], alive["now"])

        def __del__(self) -> None:
            with lock:
                alive["now"] -= 1

    def call(rows: Rows) -> int:
        time.sleep(0.002)  # the next build runs meanwhile
        return 1

    overlapped(range(30), lambda k: (Rows(), k), call, lambda k, answer: None)
    assert alive["most"] == 2
    assert alive["now"] == 0


@pytest.mark.parametrize("step", ["build", "call", "finish"])
def test_an_error_in_a_middle_chunk_stops_everything(step: str) -> None:
    steps = Steps(fail=(step, 5))
    with pytest.raises(ValueError, match="boom"):
        overlapped(range(20), steps.build, steps.call, steps.finish)
    assert not _helpers()
    assert max(steps.called) <= 6                     # the model got nothing after the next chunk
    assert max(steps.built) <= 7
    assert [k for k, _ in steps.finished] == list(range(len(steps.finished)))   # in order, none after 4
    assert len(steps.finished) <= 5


def test_a_stop_signal_in_the_model_call_waits_for_the_running_build() -> None:
    """Interrupted (a BaseException) raised where the model is called: the build in progress ends
    before overlapped() returns, nothing later starts, and no helper thread is left."""
    started, ended = threading.Event(), threading.Event()

    def build(k: int) -> tuple[int, int]:
        if k == 3:
            started.set()
            time.sleep(0.3)
            ended.set()
        return k, k

    def call(k: int) -> int:
        if k == 2:
            assert started.wait(WAIT_S)
            raise Interrupted("signal 15 received; the job was stopped and wrote no results.")
        return k

    with pytest.raises(Interrupted):
        overlapped(range(10), build, call, lambda k, a: None)
    assert ended.is_set()
    assert not _helpers()


# ---------------------------------------------------------------------------- Kernel SHAP through it
def _case(n: int = 120, m: int = 7, seed: int = 3):
    rng = np.random.default_rng(seed)
    cols = [f"f{i}" for i in range(m)]
    x = pd.DataFrame(rng.normal(size=(n, m)), columns=cols)
    x.iloc[::4, 2] = 0.5          # a second pattern of varying features
    base = pd.DataFrame(rng.normal(size=(2, m)), columns=cols)
    base.iloc[:, 2] = 0.5
    return x, base


def _model(a: np.ndarray) -> np.ndarray:
    z = a[:, 0] * a[:, 1] - np.sin(a[:, 2]) + a[:, 3] ** 2 * a[:, 4] + np.tanh(a[:, 5:].sum(1))
    return 1 / (1 + np.exp(-z))


def test_kernel_shap_bits_do_not_depend_on_the_model_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    """Overlapped, with random model latency: the bits of the plain loop (overlapping switched off)."""
    x, base = _case()
    kw = dict(num_samples=40, seed=9, use_logit=True, max_rows_per_call=700)   # ~9 chunks
    with monkeypatch.context() as plain:
        plain.setenv("ANALYZER_KERNEL_SHAP_OVERLAP", "0")
        ref = kernel_shap(lambda f: _model(f.to_numpy()), x, base, **kw)
    assert ref.model_calls >= 8
    rng = random.Random(1)

    def slow(frame: pd.DataFrame) -> np.ndarray:
        time.sleep(rng.uniform(0, 0.02))
        return _model(frame.to_numpy())

    other = kernel_shap(slow, x, base, **kw)
    assert local_values_frame(other).to_csv() == local_values_frame(ref).to_csv()
    np.testing.assert_array_equal(other.local_std_errors, ref.local_std_errors)
    for name, se in ref.global_std_errors.items():
        np.testing.assert_array_equal(other.global_std_errors[name], se)
    assert not _helpers()


def test_a_model_error_in_a_middle_chunk_is_raised_and_leaves_no_thread() -> None:
    x, base = _case()
    calls = {"n": 0}

    def failing(frame: pd.DataFrame) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 4:   # the baseline call, then chunks: fails in the third chunk
            raise EndpointError("http://model/invocations failed after 6 attempts")
        return _model(frame.to_numpy())

    with pytest.raises(EndpointError, match="failed after 6 attempts"):
        kernel_shap(failing, x, base, num_samples=40, max_rows_per_call=700)
    assert calls["n"] == 4
    assert not _helpers()


def _csv_model(latency: random.Random | None):
    lock = threading.Lock()

    def respond(body: str, content_type: str) -> tuple[str, str]:
        if latency is not None:
            with lock:
                pause = latency.uniform(0, 0.01)
            time.sleep(pause)   # requests come back in any order
        a = np.array([[float(v) for v in line.split(",")] for line in body.splitlines() if line])
        return "".join(f"{float(p)!r}\n" for p in _model(a)), "text/csv"

    return respond


def _job(tmp_path: Path, url: str, name: str) -> tuple[bytes, bytes]:
    x, base = _case(n=150)
    data = x.assign(y=(np.arange(len(x)) % 2))
    data.to_csv(tmp_path / "data.csv", index=False)
    config = {"dataset_type": "text/csv", "label": "y",
              "methods": {"shap": {"baseline": base.values.tolist(), "num_samples": 30, "seed": 4,
                                   "use_logit": True, "save_local_shap_values": True}},
              "predictor": {"endpoint_url": url, "content_type": "text/csv", "accept_type": "text/csv",
                            "max_payload_mb": 0.01, "max_concurrency": 4}}
    (tmp_path / f"{name}.json").write_text(json.dumps(config))
    out = tmp_path / name
    assert main(["run", "--config", str(tmp_path / f"{name}.json"), "--data", str(tmp_path / "data.csv"),
                 "--output", str(out), "--base-dir", str(tmp_path / f"ml-{name}")]) == 0
    return (out / "analysis.json").read_bytes(), (out / "explanations_shap" / "out.csv").read_bytes()


def test_a_job_against_a_model_with_random_latency_gives_the_same_bytes(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Small requests (max_payload_mb) and chunks of at most 1,024 rows: 10+ chunks of up to ~16 requests, 4 in flight,
    answered after random delays; analysis.json and out.csv are the bytes of the no-delay run."""
    monkeypatch.setattr(RemotePredictor, "max_rows_per_call", property(lambda self: 1024))
    monkeypatch.setattr(job, "_write_reports", lambda *a, **k: (None, None))  # not what is tested here
    with serving(_csv_model(None)) as url:
        ref = _job(tmp_path, url, "ref")
    with serving(_csv_model(random.Random(7))) as url:
        slow = _job(tmp_path, url, "slow")
    assert slow == ref
    log = capsys.readouterr().err
    calls = re.search(r"Kernel SHAP: 150 records, 2 baseline rows, (\d+) model calls, 9152 model rows in", log)
    assert calls and int(calls.group(1)) >= 10, "the job was meant to take several chunks"
    assert "(model idle " in log and "the model was idle" in log
    assert not _helpers()


def test_a_bad_overlap_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.errors import ConfigError
    from analyzer.explain import _pipeline

    monkeypatch.setenv("ANALYZER_KERNEL_SHAP_OVERLAP", "yes")
    with pytest.raises(ConfigError, match=r"^ANALYZER_KERNEL_SHAP_OVERLAP: expected auto, 0 or 1; got 'yes'\.$"):
        _pipeline.enabled()
