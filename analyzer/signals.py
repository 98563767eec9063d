"""SIGTERM/SIGINT: the one place that turns a stop request into ``Interrupted``.

The first signal raises ``Interrupted`` in the main thread so that ``finally`` blocks clean up
(endpoints deleted, containers removed, staged outputs discarded). Every later signal is only
noted: raising again half-way through that cleanup, or while the message file is written, is what
made a double ``docker stop`` end with a traceback. Inside ``deferred()`` (teardown, publishing
the outputs) even the first signal is only noted and raised when the block ends. The stop is also
remembered, so code that swallowed the exception (a library's broad ``except``) cannot turn a
stopped job into a successful one: ``check()`` raises again before anything is published.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from analyzer.errors import Interrupted

log = logging.getLogger("analyzer")

SIGNALS = (signal.SIGTERM, signal.SIGINT)
_received: list[int] = []
_state = {"deferring": 0, "raised": False, "finished": False}


def message(signum: int) -> str:
    return f"signal {signum} received; the job was stopped and wrote no results."


def _on_signal(signum: int, _frame: object) -> None:
    first = not _received
    _received.append(signum)
    if _state["finished"]:
        log.warning("Signal %d received after the results were published; the job is complete", signum)
        return
    if not first:
        return  # already stopping: never raise twice
    log.warning("Signal %d received, cleaning up", signum)
    if _state["deferring"]:
        return
    _state["raised"] = True
    raise Interrupted(message(signum))


def install() -> dict[int, Any]:
    """Install the handlers (main thread only); returns the previous ones for ``restore``."""
    return {s: signal.signal(s, _on_signal) for s in SIGNALS}


def restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def reset() -> None:
    """Forget earlier signals (a new job in the same process, e.g. in tests)."""
    _received.clear()
    _state.update(deferring=0, raised=False, finished=False)


def finish() -> None:
    """The results are published: the job is complete, and later signals no longer stop it."""
    _state["finished"] = True


def received() -> int | None:
    return _received[0] if _received else None


def check() -> None:
    """Raise ``Interrupted`` when a stop was requested, even if the first exception got lost."""
    if _received and not _state["finished"]:
        _state["raised"] = True
        raise Interrupted(message(_received[0]))


@contextmanager
def deferred() -> Iterator[None]:
    """Signals inside the block are noted; the stop is raised when the block ends (unless an
    exception is already on its way out, or a stop was raised before)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state["deferring"] += 1
    try:
        yield
    finally:
        _state["deferring"] -= 1
        if (not _state["deferring"] and _received and not _state["raised"]
                and sys.exc_info()[1] is None):
            check()
