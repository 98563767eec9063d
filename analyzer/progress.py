"""Progress of long loops (predictions, SHAP): periodic log lines, and a bar when stderr is a terminal.

Processing jobs log to CloudWatch, where a bar is noise, so there the user gets one log line at most
every ``interval_s`` seconds with rows done, rows/s and the time left. At an interactive terminal a
one-line bar is redrawn instead (at most ``bar_interval_s`` apart). ``advance`` may be called from
worker threads.

Usage::

    with Progress(total=len(frame), what="Explaining rows") as progress:
        for batch in batches:
            ...
            progress.advance(len(batch))
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from types import TracebackType
from typing import Callable, TextIO

log = logging.getLogger("analyzer.progress")

BAR_WIDTH = 30


def format_duration(seconds: float) -> str:
    """``75`` → ``"1m15s"``; ``3725`` → ``"1h02m05s"``; short and unambiguous in a log line."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    """Count rows done out of ``total`` and report the rate and ETA now and then.

    Parameters
    ----------
    total : rows to process (0 is allowed: nothing is reported until ``close``).
    what : what the rows are for, used as the line's prefix ("Explaining rows").
    interval_s : least time between two log lines.
    clock, stream, logger : injectable for tests; ``stream`` is where the bar goes (stderr).
    bar : force the bar on or off; by default it is on when ``stream`` is a terminal.
    """

    def __init__(self, total: int, what: str, interval_s: float = 10, *,
                 clock: Callable[[], float] = time.monotonic, stream: TextIO | None = None,
                 logger: logging.Logger | None = None, bar: bool | None = None,
                 bar_interval_s: float = 0.2) -> None:
        if total < 0:
            raise ValueError(f"total must be >= 0, got {total}")
        self.total = total
        self.what = what
        self.interval_s = interval_s
        self.bar_interval_s = bar_interval_s
        self._clock = clock
        self._stream = stream if stream is not None else sys.stderr
        self._log = logger or log
        self._bar = bar if bar is not None else _is_tty(self._stream)
        self._lock = threading.Lock()
        self.done = 0
        self._started = clock()
        self._last_report = self._started
        self._closed = False

    # -- counting ---------------------------------------------------------------------------------
    def advance(self, n: int = 1) -> None:
        """Add ``n`` rows done; report if the interval has passed."""
        with self._lock:
            if self._closed:
                return
            self.done = min(self.total, self.done + n) if self.total else self.done + n
            now = self._clock()
            due = self.bar_interval_s if self._bar else self.interval_s
            if now - self._last_report >= due:
                self._last_report = now
                self._report(now)

    def close(self) -> None:
        """Report the total time and rate once; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            now = self._clock()
            if self._bar:
                self._draw_bar(now)
                self._stream.write("\n")
                self._stream.flush()
            elapsed = now - self._started
            self._log.info("%s: %d of %d rows done in %s (%s rows/s)", self.what, self.done, self.total,
                           format_duration(elapsed), _rate_text(self.done, elapsed))

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- what is shown ----------------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """Rows per second since the start (0 before any time has passed)."""
        elapsed = self._clock() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None) -> str:
        """The log line for the current state, e.g.
        ``Explaining rows: 1000/4000 rows (25.0%), 50.0 rows/s, ETA 1m00s``."""
        now = self._clock() if now is None else now
        elapsed = now - self._started
        percent = 100.0 * self.done / self.total if self.total else 100.0
        return (f"{self.what}: {self.done}/{self.total} rows ({percent:.1f}%), "
                f"{_rate_text(self.done, elapsed)} rows/s, ETA {self._eta(elapsed)}")

    def _eta(self, elapsed: float) -> str:
        if self.done <= 0 or elapsed <= 0:
            return "unknown"
        return format_duration((self.total - self.done) * elapsed / self.done)

    def _report(self, now: float) -> None:
        if self._bar:
            self._draw_bar(now)
        else:
            self._log.info("%s", self.line(now))

    def _draw_bar(self, now: float) -> None:
        fraction = self.done / self.total if self.total else 1.0
        filled = int(round(BAR_WIDTH * fraction))
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self._stream.write(f"\r[{bar}] {self.line(now)}\x1b[K")
        self._stream.flush()


def _rate_text(done: int, elapsed: float) -> str:
    return f"{done / elapsed:.1f}" if elapsed > 0 else "-"


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or fake streams
        return False
