#!/usr/bin/env python3
"""Install the project into the running virtual env, a few packages per step, with progress.

    python3 scripts/install_venv.py --venv .venv               # create .venv: runtime deps + the analyzer (make demo)
    python3 scripts/install_venv.py --venv .venv --extra test  # add the test extra (make venv / make test)

pip's own "Installing collected packages" phase is silent for as long as it takes (over a
minute for the whole dependency set on a slow machine), so the dependencies of pyproject.toml
go in small steps, one line per step, and a line every few seconds while a step is still
running. ``--no-compile`` skips byte-compiling every installed module (Python compiles what it
imports, on first import), which is most of the install time for packages like botocore.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: A step still running prints "still installing" after this many silent seconds.
TICK_SECONDS = 5.0
#: Requirements per step: small enough that each step finishes in seconds.
STEP_SIZE = 5
PIP_ARGS = ["-m", "pip", "install", "--no-compile", "--disable-pip-version-check", "-q"]


def requirements(extra: str | None) -> list[str]:
    """The runtime dependencies of pyproject.toml, or those of one optional extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    if extra is None:
        return list(project["dependencies"])
    extras = project.get("optional-dependencies", {})
    if extra not in extras:
        raise SystemExit(f"pyproject.toml has no extra '{extra}'; extras: {', '.join(extras) or 'none'}")
    return list(extras[extra])


def steps(specs: list[str], size: int = STEP_SIZE) -> list[list[str]]:
    return [specs[i:i + size] for i in range(0, len(specs), size)]


def run_step(label: str, command: list[str], started: float) -> None:
    """Run one command, printing its label now and a line every TICK_SECONDS until it ends."""
    print(f"{label} ({time.monotonic() - started:.0f}s)", flush=True)
    process = subprocess.Popen(command, cwd=ROOT)
    done = threading.Event()

    def tick() -> None:
        step_start = time.monotonic()
        while not done.wait(TICK_SECONDS):
            print(f"    ... still installing ({time.monotonic() - step_start:.0f}s in this step)", flush=True)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    code = process.wait()
    done.set()
    ticker.join()
    if code != 0:
        raise SystemExit(f"failed (exit {code}): {' '.join(command)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, required=True, help="the virtual env (created when missing)")
    parser.add_argument("--extra", help="install this optional extra of pyproject.toml (e.g. test)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    python = args.venv / "bin" / "python"
    if not python.exists():   # ensurepip alone can take a minute on a busy machine: tick through it
        run_step(f"creating the virtual env {args.venv}", [sys.executable, "-m", "venv", str(args.venv)], started)
    pip = [str(python), *PIP_ARGS]
    plan = steps(requirements(args.extra))
    total = len(plan) + 1
    what = f"the '{args.extra}' extra" if args.extra else "runtime dependencies"
    print(f"Installing {what} into {args.venv} in {total} steps", flush=True)
    for number, chunk in enumerate(plan, start=1):
        run_step(f"[{number}/{total}] {', '.join(chunk)}", pip + chunk, started)
    # The project itself (editable); its dependencies are in already, so no second resolution.
    run_step(f"[{total}/{total}] clarify-analyzer (editable)", pip + ["--no-deps", "-e", "."], started)
    print(f"Installed {what} in {time.monotonic() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
