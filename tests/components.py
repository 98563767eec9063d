"""The one rule for tests that need infrastructure (Docker, moto, Dask, a browser, a dataset, an
oracle library): a missing component FAILS under CI=true, and skips with the reason elsewhere.

A plain module (not conftest.py: several conftest modules share that name, so it cannot be imported
by name); tests/ is on sys.path because of tests/conftest.py.
"""
from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_component(available: bool, why: str) -> None:
    """Fail (CI) or skip (elsewhere) with ``why`` unless ``available``."""
    if available:
        return
    if in_ci():
        pytest.fail(f"CI=true and {why}", pytrace=False)
    pytest.skip(why)


def require_module(name: str, why: str = "") -> ModuleType:
    """``pytest.importorskip`` that fails under CI=true: oracle tests must run in CI. Like
    importorskip, the library's own import-time warnings are not ours to fail on."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(name)
    except ImportError as exc:
        require_component(False, f"{name} cannot be imported ({exc}){'; ' + why if why else ''}")
        raise  # unreachable: require_component fails or skips
