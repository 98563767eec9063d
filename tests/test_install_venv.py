"""scripts/install_venv.py: the dependencies of pyproject.toml in steps, with progress lines."""
from __future__ import annotations

import importlib.util
import stat
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("install_venv", ROOT / "scripts" / "install_venv.py")
install_venv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(install_venv)


def test_requirements_are_pyprojects():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert install_venv.requirements(None) == project["dependencies"]
    assert install_venv.requirements("test") == project["optional-dependencies"]["test"]
    with pytest.raises(SystemExit, match="no extra 'nope'"):
        install_venv.requirements("nope")
    assert install_venv.steps(list("abcdefg"), 3) == [["a", "b", "c"], ["d", "e", "f"], ["g"]]


def test_steps_run_pip_in_the_venv_with_ticks(tmp_path: Path, monkeypatch, capsys):
    log = tmp_path / "calls.log"
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nsleep 0.4\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(install_venv, "TICK_SECONDS", 0.1)
    assert install_venv.main(["--venv", str(tmp_path / "venv")]) == 0
    calls = log.read_text().splitlines()
    deps = install_venv.requirements(None)
    plan = install_venv.steps(deps)
    assert len(calls) == len(plan) + 1                       # the existing venv is not re-created
    assert all(c.startswith("-m pip install --no-compile") for c in calls)
    assert [c.split(" -q ", 1)[1].split() for c in calls[:-1]] == plan
    assert calls[-1].endswith("--no-deps -e .")
    out = capsys.readouterr().out
    assert f"[1/{len(plan) + 1}] {', '.join(plan[0])}" in out
    assert "still installing" in out                          # silence is filled with ticks
