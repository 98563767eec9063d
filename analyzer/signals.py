"""SIGTERM/SIGINT: the one place that turns a stop request into ``Interrupted``.

The first signal raises ``Interrupted`` (a ``BaseException``, see analyzer.errors) in the main
thread so that ``finally`` blocks clean up (endpoints deleted, containers removed, staged outputs
discarded). Every later signal is only noted: raising again half-way through that cleanup, or
while the message file is written, is what made a double ``docker stop`` end with a traceback.
Inside ``deferred()`` (teardown, publishing the outputs) even the first signal is only noted and
raised when the block ends.

Nor is it raised inside an import: a C extension that runs Python code while it initialises (a
matplotlib or weasyprint dependency) turns any exception into ``ImportError: initialization
failed``, which the caller may catch, and which leaves the module half-made. There the stop is
held, and a relay thread sends the same signal again every ``RETRY_S`` until it lands outside the
import. The stop is also remembered, so code that swallowed the exception anyway cannot turn a
stopped job into a successful one: ``check()`` raises again before anything is published.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from contextlib import contextmanager
from types import FrameType
from typing import Any, Iterator

from analyzer.errors import Interrupted

log = logging.getLogger("analyzer")

SIGNALS = (signal.SIGTERM, signal.SIGINT)
RETRY_S = 0.02
_received: list[int] = []
_state = {"deferring": 0, "raised": False, "finished": False, "relayed": False}
_retry = threading.Event()      # set by the handler: "send the stop again soon"
_relay: list[threading.Thread] = []


def message(signum: int) -> str:
    return f"signal {signum} received; the job was stopped and wrote no results."


def _importing(frame: FrameType | None) -> bool:
    """Whether the interrupted code runs inside an import (importlib's frames are on the stack)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _state["relayed"]:
        _state["relayed"] = False   # the relay's copy of the first signal, not a new one
    else:
        first = not _received
        _received.append(signum)
        if _state["finished"]:
            log.warning("Signal %d received after the results were published; the job is complete", signum)
            return
        if not first:
            return  # already stopping: never raise twice
        log.warning("Signal %d received, cleaning up", signum)
    if _state["raised"] or _state["finished"] or _state["deferring"]:
        return
    if _importing(frame):
        _retry.set()
        return
    _state["raised"] = True
    raise Interrupted(message(_received[0]))


def _relay_loop() -> None:
    """Send the held stop again until the handler could raise it (or the job ended)."""
    main = threading.main_thread()
    while True:
        _retry.wait()
        _retry.clear()
        time.sleep(RETRY_S)
        signum = _received[0] if _received else None
        if (signum is None or _state["raised"] or _state["finished"] or not main.is_alive()
                or signal.getsignal(signum) is not _on_signal):
            continue
        _state["relayed"] = True
        signal.pthread_kill(main.ident, signum)  # type: ignore[arg-type]


def install() -> dict[int, Any]:
    """Install the handlers (main thread only); returns the previous ones for ``restore``."""
    if not _relay:
        _relay.append(threading.Thread(target=_relay_loop, name="signal-relay", daemon=True))
        _relay[0].start()
    return {s: signal.signal(s, _on_signal) for s in SIGNALS}


def restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def reset() -> None:
    """Forget earlier signals (a new job in the same process, e.g. in tests)."""
    _received.clear()
    _retry.clear()
    _state.update(deferring=0, raised=False, finished=False, relayed=False)


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
