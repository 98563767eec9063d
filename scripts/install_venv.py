#!/usr/bin/env python3
"""Install the project into the running virtual env, a few packages per step, with progress.

    python3 scripts/install_venv.py --venv .venv               # create .venv: runtime deps + the analyzer (make demo)
    python3 scripts/install_venv.py --venv .venv --extra test  # add the test extra (make venv / make test)

The runtime layer (``make demo``) goes in with uv (from PyPI, installed into the venv first),
which links the packages from its cache instead of unpacking every wheel again: measured at
~13 s under heavy load against ~46 s for pip on an idle machine (README, Development). uv gets
pip's own settings (index URLs, find-links, constraints: ``pip config list``) and pip's way of
choosing among indexes: the best version from any of them (uv's default takes a package from the
first index that has it, so a local mirror holding an older pandas silently won). Where uv cannot
be installed or fails, and for the test extra (whose pins and constraints are pip's), pip runs.

pip's own "Installing collected packages" phase is silent for as long as it takes (over a
minute for the whole dependency set on a slow machine), so with pip the dependencies of
pyproject.toml go in small steps, one line per step, and a line every few seconds while a step
is still running. ``--no-compile`` skips byte-compiling every installed module (Python compiles
what it imports, on first import), which is most of the install time for packages like botocore.
"""
from __future__ import annotations

import argparse
import os
import shutil
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


def run_step(label: str, command: list[str], started: float, check: bool = True,
             env: dict[str, str] | None = None) -> int:
    """Run one command, printing its label now and a line every TICK_SECONDS until it ends."""
    print(f"{label} ({time.monotonic() - started:.0f}s)", flush=True)
    try:
        process = subprocess.Popen(command, cwd=ROOT, env=env)
    except OSError as exc:
        if check:
            raise SystemExit(f"cannot run {command[0]}: {exc}") from None
        return 127
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
    if code != 0 and check:
        raise SystemExit(f"failed (exit {code}): {' '.join(command)}")
    return code


#: ``pip config list`` keys (the part after the dot) → uv options.
PIP_TO_UV = {"index-url": "--index-url", "extra-index-url": "--extra-index-url", "find-links": "--find-links",
             "constraint": "--constraint"}


#: pip's resolution across indexes: the best version from any index, as ``pip install`` picks.
UV_AS_PIP = ["--index-strategy", "unsafe-best-match"]


def uv_settings(python: Path) -> tuple[list[str], dict[str, str]]:
    """(uv options, environment) carrying pip's configuration (index URLs, find-links, constraints,
    certificate bundle) over to uv, so both install from the same places under the same caps."""
    listed = subprocess.run([str(python), "-m", "pip", "config", "list"], capture_output=True, text=True)
    options: list[str] = []
    env = dict(os.environ)
    for line in listed.stdout.splitlines():
        key, _, value = line.partition("=")
        name, value = key.rsplit(".", 1)[-1], value.strip().strip("'\"")
        if name == "cert" and "SSL_CERT_FILE" not in env:
            env["SSL_CERT_FILE"] = value
        for item in value.split() if name in PIP_TO_UV else ():
            pair = [PIP_TO_UV[name], item]
            if not any(options[i:i + 2] == pair for i in range(0, len(options), 2)):
                options += pair
    return options, env


def install_with_uv(venv: Path, specs: list[str], started: float) -> bool:
    """The runtime layer in one uv call; False (nothing half-done that pip would not redo) where uv
    is not to be had or fails."""
    python = venv / "bin" / "python"
    uv = shutil.which("uv") or str(venv / "bin" / "uv")
    if not Path(uv).exists():
        if run_step("[1/2] uv (the fast installer)", [str(python), *PIP_ARGS, "uv"], started, check=False):
            return False
    options, env = uv_settings(python)
    command = [uv, "pip", "install", "-q", "--python", str(python), *UV_AS_PIP, *options, *specs, "-e", "."]
    return run_step(f"[2/2] {len(specs)} packages and clarify-analyzer (editable), with uv", command, started,
                    check=False, env=env) == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, required=True, help="the virtual env (created when missing)")
    parser.add_argument("--extra", help="install this optional extra of pyproject.toml (e.g. test)")
    parser.add_argument("--pip", action="store_true", help="install with pip only (no uv)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    python = args.venv / "bin" / "python"
    if not python.exists():   # ensurepip alone can take a minute on a busy machine: tick through it
        run_step(f"creating the virtual env {args.venv}", [sys.executable, "-m", "venv", str(args.venv)], started)
    if args.extra is None and not args.pip:
        print(f"Installing runtime dependencies into {args.venv}", flush=True)
        if install_with_uv(args.venv, requirements(None), started):
            print(f"Installed runtime dependencies in {time.monotonic() - started:.0f}s", flush=True)
            return 0
        print("uv did not work here: installing with pip instead", flush=True)
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
