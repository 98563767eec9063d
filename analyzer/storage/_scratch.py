"""The job's temporary area for downloads (and S3-bound outputs), removed when the job ends.

``scratch_session()`` scopes it to one job (the CLI wraps every run in one). Library callers
without a session get a per-process directory that is removed at interpreter exit.
The area lives under ``ANALYZER_TMPDIR`` if set, else the standard ``TMPDIR``/``/tmp``.
"""
from __future__ import annotations

import atexit
import itertools
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from analyzer.errors import StorageError

log = logging.getLogger("analyzer.storage")

TMPDIR_ENV = "ANALYZER_TMPDIR"

_active: Path | None = None       # the current session's directory
_fallback: Path | None = None     # per-process directory for callers without a session
_counter = itertools.count(1)


def _make_root() -> Path:
    parent = os.environ.get(TMPDIR_ENV) or None
    try:
        return Path(tempfile.mkdtemp(prefix="analyzer-scratch-", dir=parent))
    except OSError as exc:
        where = parent or tempfile.gettempdir()
        raise StorageError(f"Cannot create a temporary directory under {where} ({exc.strerror or exc}); "
                           f"set {TMPDIR_ENV} to a writable directory with enough space.") from None


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def scratch_session() -> Iterator[Path]:
    """A temporary area for one job; everything in it is deleted on exit, success or not."""
    global _active
    previous, root = _active, _make_root()
    _active = root
    try:
        yield root
    finally:
        _active = previous
        _remove(root)


def scratch_dir() -> Path:
    """The current job's temporary area (or the per-process fallback)."""
    global _fallback
    if _active is not None:
        return _active
    if _fallback is None or not _fallback.is_dir():
        _fallback = _make_root()
        atexit.register(_remove, _fallback)
    return _fallback


def new_scratch_subdir(label: str) -> Path:
    """A fresh, unique directory inside the scratch area (one per download or output)."""
    path = scratch_dir() / f"{next(_counter):03d}-{label}"
    path.mkdir(parents=True)
    return path
