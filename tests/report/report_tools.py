"""Helpers for the browser and PDF checks: find the binaries (fail under CI=true, skip locally),
run them with bounded timeouts, and measure how much of a picture is ink."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from components import require_component

TIMEOUT_S = 90

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
    # No network at all: every host name fails to resolve, and any proxy use goes nowhere.
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
]


def require_binary(*names: str, package: str) -> str:
    """The first of ``names`` on PATH; missing → FAIL when CI=true, else skip with the install hint."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    require_component(False, f"{' / '.join(names)} not found; install the Debian package: apt-get install {package}")
    raise AssertionError("unreachable")  # require_component fails or skips


def chromium(binary: str, url: str, user_data: Path, *args: str) -> subprocess.CompletedProcess:
    command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={user_data}", *args, url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def run(*command: str) -> str:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def pixels(path: Path) -> np.ndarray:
    """RGB values in 0..255, as an (h, w, 3) int array."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def ink(region: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float(np.mean(region.min(axis=2) < 235)) if region.size else 0.0


def colour(region: np.ndarray) -> float:
    """Share of clearly coloured pixels (not grey): chart bars, lines and points, not text."""
    if not region.size:
        return 0.0
    spread = region.max(axis=2) - region.min(axis=2)
    return float(np.mean(spread > 60))
