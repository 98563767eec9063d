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
    assert install_venv.main(["--venv", str(tmp_path / "venv"), "--pip"]) == 0
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


def _fake(path: Path, script: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_runtime_layer_goes_in_with_uv_carrying_pips_settings(tmp_path: Path, monkeypatch, capsys):
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "venv" / "bin"
    config = "global.find-links='/w'\n:env:.find-links='/w'\nglobal.extra-index-url='file:///a file:///b'\n" \
             "global.constraint='/c.txt'\nglobal.cert='/ca.pem'\nglobal.timeout='60'\n"
    _fake(bin_dir / "python", f'echo "python $@" >> "{log}"\n'
                              f'if [ "$3" = config ]; then printf "{config}"; fi\n'
                              f'case "$*" in *" uv") printf "#!/bin/sh\\n'
                              f'echo \\"uv \\$@ SSL=\\$SSL_CERT_FILE\\" >> {log}\\n"'
                              f' > "{bin_dir}/uv"; chmod +x "{bin_dir}/uv";; esac\n')
    monkeypatch.setattr(install_venv.shutil, "which", lambda _: None)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert install_venv.main(["--venv", str(tmp_path / "venv")]) == 0
    calls = log.read_text().splitlines()
    assert calls[0].startswith("python -m pip install --no-compile") and calls[0].endswith(" uv")
    assert calls[1] == "python -m pip config list"
    uv = calls[2].split()
    assert uv[:5] == ["uv", "pip", "install", "-q", "--python"]
    assert uv[6:8] == ["--index-strategy", "unsafe-best-match"]   # pip's choice: the best of all indexes
    assert " ".join(uv[8:16]) == ("--find-links /w --extra-index-url file:///a --extra-index-url file:///b "
                                  "--constraint /c.txt")
    assert uv[16:-3] == install_venv.requirements(None) and uv[-3:] == ["-e", ".", "SSL=/ca.pem"]
    assert len(calls) == 3 and "with uv" in capsys.readouterr().out


def test_pip_takes_over_where_uv_cannot_be_installed(tmp_path: Path, monkeypatch, capsys):
    log = tmp_path / "calls.log"
    _fake(tmp_path / "venv" / "bin" / "python", f'echo "$@" >> "{log}"\ncase "$*" in *" uv") exit 1;; esac\n')
    monkeypatch.setattr(install_venv.shutil, "which", lambda _: None)
    assert install_venv.main(["--venv", str(tmp_path / "venv")]) == 0
    calls = log.read_text().splitlines()
    assert calls[0].endswith(" uv") and len(calls) == len(install_venv.steps(install_venv.requirements(None))) + 2
    assert calls[-1].endswith("--no-deps -e .") and "installing with pip instead" in capsys.readouterr().out
