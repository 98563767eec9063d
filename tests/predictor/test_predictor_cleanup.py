"""A second SIGTERM during teardown waits until the teardown is done."""
from __future__ import annotations

import os
import signal

import pytest

from analyzer import signals
from analyzer.errors import Interrupted
from analyzer.predictor.cleanup import deferred_signals


@pytest.fixture
def raising_sigterm():
    previous = signals.install()
    yield
    signals.restore(previous)
    signals.reset()


def test_signal_during_cleanup_is_delivered_after_it(raising_sigterm):
    steps = []
    with pytest.raises(Interrupted, match="signal 15"):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("cleanup finished")
    assert steps == ["cleanup finished"]


def test_signal_during_cleanup_after_an_error_keeps_the_first_error(raising_sigterm):
    with pytest.raises(RuntimeError, match="first"):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            raise RuntimeError("first")


def test_a_second_signal_never_raises_again(raising_sigterm):
    steps = []
    with pytest.raises(Interrupted, match="signal 15"):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # during the cleanup of the first: only noted
            steps.append("cleanup finished")
    assert steps == ["cleanup finished"]
