"""scripts/as_root.sh: system-package steps (.ci/run, make image) say clearly when they cannot get root."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOBODY = "65534"


def _as_nobody(command: str, path: str) -> subprocess.CompletedProcess:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the script as an unprivileged user")
    script = f'. "{ROOT}/scripts/as_root.sh"; {command}; echo after'
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                           "env", f"PATH={path}", "bash", "-c", script],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)


def test_without_root_or_sudo_it_stops_with_one_clear_line():
    # A PATH with bash and env but no sudo, in a folder the unprivileged user can read.
    bin_dir = Path(tempfile.mkdtemp(prefix="as-root-"))
    try:
        bin_dir.chmod(0o755)
        for tool in ("bash", "env", "id", "printf"):
            found = shutil.which(tool)
            if found:
                (bin_dir / tool).symlink_to(found)
        done = _as_nobody("as_root apt-get install -y make", str(bin_dir))
    finally:
        shutil.rmtree(bin_dir)
    assert done.returncode == 1
    assert "after" not in done.stdout            # it stopped the script
    assert done.stderr.strip() == "error: needs root for `apt-get install -y make`: run this as root (or install sudo)"


def test_as_root_runs_the_command_when_root():
    done = subprocess.run(["bash", "-c", f'. "{ROOT}/scripts/as_root.sh"; as_root id -u'],
                          capture_output=True, text=True, timeout=30)
    if os.geteuid() != 0:
        pytest.skip("not root here")
    assert done.returncode == 0 and done.stdout.strip() == "0"
