"""Teardown that a second SIGTERM cannot cut short.

The CLI turns SIGTERM/SIGINT into an ``Interrupted`` exception in the main thread, so cleanup runs
in ``finally`` blocks. A second signal arriving during that cleanup would raise again half-way
through deleting an endpoint or removing a container; inside ``deferred_signals()`` such signals
are only noted, and re-raised once the cleanup is done.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

log = logging.getLogger("analyzer.predictor")

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def deferred_signals() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def note(signum: int, _frame: object) -> None:
        log.warning("Signal %d received during cleanup; finishing the cleanup first", signum)
        received.append(signum)

    previous: dict[int, Any] = {s: signal.signal(s, note) for s in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        # Re-deliver a deferred signal through the previous handler unless an exception is already
        # on its way out (then the job is stopping anyway).
        if received and sys.exc_info()[1] is None and callable(previous[received[0]]):
            previous[received[0]](received[0], None)
