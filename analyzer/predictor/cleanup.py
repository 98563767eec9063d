"""Teardown that a second SIGTERM cannot cut short: ``deferred_signals()`` is
:func:`analyzer.signals.deferred` (signals inside are noted and raised once the cleanup is done)."""
from __future__ import annotations

from analyzer.signals import deferred as deferred_signals

__all__ = ["deferred_signals"]
