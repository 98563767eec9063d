"""The hardening corpus: every case, one runner, the same checks.

For each case the job runs in-process (the CLI's ``main``, as the container runs it) with the
planted AWS credentials in the environment, and must end with the documented exit code, a message
file whose FIRST line names what is wrong and where, no traceback, no output left behind (unless
it succeeded) and none of the planted secrets in stderr, the message file or the outputs.
"""
from __future__ import annotations

import contextlib
import gc
import time
from pathlib import Path

import pytest

from analyzer.cli import main
from cases_config import config_cases
from cases_data import data_cases
from cases_endpoint import endpoint_cases
from cases_hostile import hostile_cases
from corpus_base import SECRET_ENV, SECRETS, Case
from fault_model import serving

CASES = [*config_cases(), *data_cases(), *endpoint_cases(), *hostile_cases()]
DOCUMENTED_EXITS = {0, 2, 3, 4, 5, 6, 143}
CLOSED_PORT_URL = "http://127.0.0.1:9/invocations"
CASE_TIME_LIMIT_S = 45
#: After each case the garbage is collected: a socket or file the job left to the collector raises
#: its ResourceWarning (an error under the project's filterwarnings) in that case, not in a random
#: later test.


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def run_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture) -> tuple[int, Path, str, float]:
    base = tmp_path / "opt_ml"
    data = base / "processing" / "input" / "data"
    config = base / "processing" / "input" / "config" / "analysis_config.json"
    config.parent.mkdir(parents=True)
    data.mkdir(parents=True)
    for name, content in case.files.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content)
    monkeypatch.setenv("ANALYZER_BASE_DIR", str(base))
    monkeypatch.chdir(tmp_path)
    for key, value in {**SECRET_ENV, **case.env}.items():
        monkeypatch.setenv(key, value)
    if case.setup is not None:
        case.setup(base)
    model = serving(case.model) if case.model else contextlib.nullcontext(CLOSED_PORT_URL)
    with model as url:
        config.write_bytes(case.config_bytes(url))
        started = time.monotonic()
        code = main(["run", *case.args])
        took = time.monotonic() - started
    gc.collect()  # see above: a leak fails the case that made it
    captured = capsys.readouterr()
    return code, base, captured.err + captured.out, took


def check_outcome(case: Case, code: int, base: Path, stderr: str, took: float) -> None:
    message_file = base / "output" / "message"
    message = message_file.read_text(encoding="utf-8") if message_file.exists() else ""
    first = message.splitlines()[0] if message else ""
    outputs = _files(base / "processing" / "output")
    context = f"\nmessage: {message[:600]!r}\nstderr tail:\n{stderr[-2500:]}"
    assert code == case.exit, f"exit {code}, expected {case.exit}{context}"
    assert code in DOCUMENTED_EXITS
    assert "Traceback (most recent call last):\n" not in stderr, context
    assert case.fragment in first, f"{case.fragment!r} not in the message's first line{context}"
    if code == 0:
        assert first.startswith("Completed"), context
        assert (base / "processing" / "output" / "analysis.json").exists()
    else:
        assert first.startswith(("ClientError: ", "Stopped: ")), context
        assert outputs == [], f"partial output left: {outputs}"
    for secret in SECRETS:
        assert secret not in stderr, f"secret {secret[:6]}... in stderr"
        assert secret not in message, f"secret {secret[:6]}... in the message file"
        for path in outputs:
            assert secret not in path.read_text(errors="replace"), f"secret {secret[:6]}... in {path}"
    assert took < CASE_TIME_LIMIT_S, f"took {took:.1f} s"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.kind}-{c.id}")
def test_corpus_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture) -> None:
    code, base, stderr, took = run_case(case, tmp_path, monkeypatch, capsys)
    check_outcome(case, code, base, stderr, took)
    if case.check is not None:
        case.check(base)


def test_corpus_size() -> None:
    """The issue's floor: at least 80 configs, 60 data files, 20 endpoint faults, 20 hostile inputs."""
    kinds = {kind: sum(c.kind == kind for c in CASES) for kind in ("config", "data", "endpoint", "hostile")}
    assert kinds["config"] >= 80 and kinds["data"] >= 60 and kinds["endpoint"] >= 20 and kinds["hostile"] >= 20, kinds
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
