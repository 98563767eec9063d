"""scripts/docker-entrypoint.sh on this machine (the image runs it as its entrypoint; the image tests
in tests/integration run it there): started as root it gives the root-owned output folders to the
analyzer's uid and drops to it before the analysis; started as another user it changes nothing.

A stand-in ``python`` first on PATH records who ran it; the tools the script needs are linked into
a folder of their own, so a run can be given a PATH with or without ``setpriv``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "docker-entrypoint.sh"
UID = 54321          # the image's user (ANALYZER_UID); not a user of this machine
OTHER_UID = 4242     # someone else's folder, e.g. a host folder mounted by a developer
TOOLS = ("sh", "id", "sed", "find", "grep", "chown", "mkdir")
FAKE_PYTHON = f"""#!/bin/sh
if [ "$1" = "-I" ]; then exec {sys.executable} "$@"; fi   # the fallback's privilege drop itself
echo "$(id -u) $(id -g) $HOME $*" > "$RECORD"
"""


@pytest.fixture
def sandbox() -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv (the entrypoint's job is what root may do)")
    top = Path(tempfile.mkdtemp(prefix="entrypoint-"))
    top.chmod(0o755)     # the dropped uid must reach the stand-in python and its record
    yield top
    shutil.rmtree(top, ignore_errors=True)


def _bin(top: Path, with_setpriv: bool) -> Path:
    folder = top / ("bin" if with_setpriv else "bin-no-setpriv")
    folder.mkdir()
    for tool in TOOLS + (("setpriv",) if with_setpriv else ()):
        (folder / tool).symlink_to(shutil.which(tool))  # type: ignore[arg-type]
    (folder / "python").write_text(FAKE_PYTHON)
    (folder / "python").chmod(0o755)
    return folder


def _job(top: Path) -> Path:
    """An /opt/ml tree as SageMaker mounts it: root-owned folders, a root-owned file in one."""
    base = top / "opt_ml"
    for sub in ("processing/input/config", "processing/output/explanations_shap", "output"):
        (base / sub).mkdir(parents=True)
    (base / "processing" / "output" / "old.json").write_text("{}")
    for path in [base, *base.rglob("*")]:
        path.chmod(0o755)
    return base


def _run(top: Path, base: Path, *args: str, with_setpriv: bool = True,
         prefix: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess, str]:
    record = top / "record"
    record.touch()
    record.chmod(0o666)
    env = {"PATH": str(_bin(top, with_setpriv)), "ANALYZER_UID": str(UID), "ANALYZER_HOME": "/home/analyzer",
           "ANALYZER_BASE_DIR": str(base), "RECORD": str(record), "HOME": "/root"}
    done = subprocess.run([*prefix, "sh", str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    return done, record.read_text().strip()


@pytest.mark.parametrize("with_setpriv", [True, False], ids=["setpriv", "python-fallback"])
def test_as_root_the_output_folders_are_given_away_and_the_analysis_runs_unprivileged(
        sandbox: Path, with_setpriv: bool) -> None:
    base = _job(sandbox)
    elsewhere = sandbox / "elsewhere"
    elsewhere.mkdir()
    os.chown(elsewhere, OTHER_UID, OTHER_UID)

    done, record = _run(sandbox, base, "run", "--output", str(elsewhere), with_setpriv=with_setpriv)

    assert done.returncode == 0, done.stderr
    assert record == f"{UID} 0 /home/analyzer -m analyzer run --output {elsewhere}"
    output = base / "processing" / "output"
    for folder in (output, output / "explanations_shap", base / "output"):
        assert folder.stat().st_uid == UID, folder
    assert (output / "old.json").stat().st_uid == 0          # files stay as they are (replaced by rename)
    assert (base / "processing").stat().st_uid == 0          # only the output roots, not their parents
    assert (base / "processing" / "input" / "config").stat().st_uid == 0
    assert elsewhere.stat().st_uid == OTHER_UID               # someone else's folder is left alone


def test_as_another_user_nothing_changes_and_that_user_runs_the_analysis(sandbox: Path) -> None:
    base = _job(sandbox)

    done, record = _run(sandbox, base, "run", prefix=("setpriv", f"--reuid={OTHER_UID}", "--regid=0",
                                                      "--clear-groups"))

    assert done.returncode == 0, done.stderr
    assert record == f"{OTHER_UID} 0 /root -m analyzer run"
    assert (base / "processing" / "output").stat().st_uid == 0


def test_a_planted_link_at_an_output_root_is_not_followed(sandbox: Path) -> None:
    base = _job(sandbox)
    target = sandbox / "precious"
    target.mkdir()
    output = base / "processing" / "output"
    shutil.rmtree(output)
    output.symlink_to(target)

    done, _ = _run(sandbox, base)

    assert done.returncode == 0, done.stderr
    assert target.stat().st_uid == 0


def test_root_without_setuid_stops_with_one_line_and_exit_2(sandbox: Path) -> None:
    base = _job(sandbox)

    done, record = _run(sandbox, base, prefix=("setpriv", "--bounding-set=-setuid,-setgid"))

    assert done.returncode == 2
    assert record == ""                                       # the analysis never started
    line = "ClientError: the container runs as root without the capabilities SETUID and SETGID"
    assert done.stderr.startswith(line) and done.stderr.count("\n") == 1, done.stderr
    assert (base / "output" / "message").read_text().startswith(line)


def test_root_without_chown_and_a_root_owned_output_is_a_storage_error(sandbox: Path) -> None:
    base = _job(sandbox)

    done, record = _run(sandbox, base, prefix=("setpriv", "--bounding-set=-chown"))

    assert done.returncode == 5, done.stderr
    assert record == ""
    assert f"the output folder {base / 'processing' / 'output'} belongs to root" in done.stderr
