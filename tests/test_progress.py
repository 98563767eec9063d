"""Progress: log lines at most every interval with rate and ETA; a bar only on terminals (fake clock)."""
from __future__ import annotations

import io
import logging
import threading

import pytest

from analyzer.progress import Progress, format_duration


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "analyzer.progress"]


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.6, "1m00s"), (75, "1m15s"), (3725, "1h02m05s")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_logs_at_most_every_interval_with_rate_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="analyzer.progress")
    clock = FakeClock()
    stream = io.StringIO()
    with Progress(total=4000, what="Explaining rows", interval_s=10, clock=clock, stream=stream) as progress:
        clock.now += 5
        progress.advance(500)          # 5 s: too early
        assert _messages(caplog) == []
        clock.now += 15
        progress.advance(500)          # 20 s, 1000 rows: 50 rows/s, 3000 left → 60 s
        clock.now += 1
        progress.advance(100)          # 1 s later: too early again
    messages = _messages(caplog)
    assert messages[0] == "Explaining rows: 1000/4000 rows (25.0%), 50.0 rows/s, ETA 1m00s"
    assert messages[1] == "Explaining rows: 1100 of 4000 rows done in 21s (52.4 rows/s)"
    assert len(messages) == 2
    assert stream.getvalue() == ""     # no bar on a non-terminal


def test_close_is_idempotent_and_advance_after_close_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="analyzer.progress")
    clock = FakeClock()
    progress = Progress(total=10, what="Predicting", clock=clock, stream=io.StringIO())
    progress.advance(20)               # never counts past the total
    progress.close()
    progress.close()
    progress.advance(5)
    assert progress.done == 10
    assert _messages(caplog) == ["Predicting: 10 of 10 rows done in 0s (- rows/s)"]


def test_eta_unknown_before_any_row(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    progress = Progress(total=10, what="Predicting", clock=clock, stream=io.StringIO())
    clock.now += 3
    assert progress.line() == "Predicting: 0/10 rows (0.0%), 0.0 rows/s, ETA unknown"
    assert progress.rate == 0.0


def test_bar_on_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="analyzer.progress")
    clock = FakeClock()
    stream = FakeTty()
    with Progress(total=100, what="SHAP", clock=clock, stream=stream, bar_interval_s=0.5) as progress:
        clock.now += 1
        progress.advance(50)
        clock.now += 0.1
        progress.advance(10)           # within the bar interval: not redrawn
    text = stream.getvalue()
    assert text.count("\r") == 2      # one redraw, one final draw
    assert "[###############...............] SHAP: 50/100 rows (50.0%)" in text
    assert text.endswith("\n")
    # On a terminal only the summary is logged, so log lines do not tear the bar.
    assert _messages(caplog) == ["SHAP: 60 of 100 rows done in 1s (54.5 rows/s)"]


def test_threads_count_every_row() -> None:
    progress = Progress(total=8000, what="Predicting", stream=io.StringIO(), interval_s=3600)
    threads = [threading.Thread(target=lambda: [progress.advance(1) for _ in range(1000)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    progress.close()
    assert progress.done == 8000


def test_negative_total_is_rejected() -> None:
    with pytest.raises(ValueError, match="total must be >= 0, got -1"):
        Progress(total=-1, what="x")
