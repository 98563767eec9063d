"""A second SIGTERM during teardown waits until the teardown is done."""
from __future__ import annotations

import os
import signal

import pytest

from analyzer.errors import Interrupted
from analyzer.predictor.cleanup import deferred_signals


@pytest.fixture
def raising_sigterm():
    def handler(signum, frame):
        raise Interrupted(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    yield
    signal.signal(signal.SIGTERM, previous)


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
