"""The README's bash blocks, and a sandbox to run them in as a user would (helper, not a test).

Every ```bash block of README.md runs, unless the line right before its fence is a marker:

    <!-- readme-test: docker -->                    run by tests/integration/test_readme_docker.py,
                                                    with the image the tests build
    <!-- readme-test: syntax-only: REASON -->       only parsed (bash -n); REASON says why
                                                    (needs AWS, your own model image, is the test suite)

The runnable blocks run in order in ONE bash session, like a user's terminal: a block may use
what an earlier one created or activated. The sandbox is a copy of the project's files with
``data/`` and the virtual env linked in (the env's install stamps are fresh, so ``make demo``
uses it instead of installing).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = re.compile(r"^<!--\s*readme-test:\s*(?P<mode>[a-z-]+)\s*(?::\s*(?P<reason>.*?))?\s*-->$")
MODES = ("docker", "syntax-only")
#: What a sandbox copies (small; data and the venv are linked).
COPIED = ("analyzer", "config_schema", "examples", "scripts", "Makefile", "pyproject.toml", "README.md",
          "requirements-ref.txt")
VENV_STAMPS = (".runtime", ".installed")


@dataclass(frozen=True)
class Block:
    line: int            # 1-based line of the opening fence in README.md
    code: str
    mode: str            # "run", "docker" or "syntax-only"
    reason: str = ""


def blocks(text: str | None = None) -> list[Block]:
    """Every ```bash block with its marker; a malformed marker raises ValueError."""
    lines = (README.read_text() if text is None else text).splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```bash":
            before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            mode, reason = "run", ""
            if "readme-test" in before:
                match = MARKER.match(before)
                if not match or match["mode"] not in MODES:
                    raise ValueError(f"README.md:{i}: unknown readme-test marker {before!r}; use one of {MODES}")
                mode, reason = match["mode"], match["reason"] or ""
                if mode == "syntax-only" and not reason:
                    raise ValueError(f"README.md:{i}: syntax-only needs a reason: "
                                     "<!-- readme-test: syntax-only: WHY -->")
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            found.append(Block(i + 1, "\n".join(lines[i + 1:end]) + "\n", mode, reason))
            i = end
        i += 1
    return found


def make_sandbox(dest: Path) -> Path:
    """A copy of the project at ``dest`` with data/ and .venv linked (see the module docstring)."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy(source, dest / name)
    (dest / "data").symlink_to((ROOT / "data").resolve())
    venv = dest / ".venv"
    venv.mkdir()
    for entry in Path(sys.prefix).iterdir():
        if entry.name not in VENV_STAMPS:
            (venv / entry.name).symlink_to(entry)
    for stamp in VENV_STAMPS:      # newer than every copied file: make installs nothing
        (venv / stamp).touch()
    return dest


def run_session(sandbox: Path, script: str, timeout: float) -> subprocess.CompletedProcess:
    """Run ``script`` in one bash session in ``sandbox``; every process it left behind is killed."""
    env = {**os.environ, "PYTHONPATH": str(sandbox)}
    env.pop("VIRTUAL_ENV", None)
    process = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", script], cwd=sandbox, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        out += f"\n[readme test] timed out after {timeout}s"
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)     # background servers a block started
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(process.args, process.returncode, out)


def session_script(selected: list[Block], replace: dict[str, str] | None = None) -> str:
    """The blocks as one script that announces each block (with its README line) before it runs."""
    parts = []
    for block in selected:
        code = block.code
        for old, new in (replace or {}).items():
            code = code.replace(old, new)
        parts.append(f"echo '[readme test] README.md line {block.line}'\n{code}")
    return "\n".join(parts)
