"""The small SVG canvas of the bias charts: round ticks, scales, escaped text, byte-identical output."""
from __future__ import annotations

import math
import re

import pytest

from analyzer.report.svg import Canvas, Scale, nice_ticks


@pytest.mark.parametrize(("low", "high", "expected"), [
    (-0.5, 0.5, [-0.4, -0.2, 0.0, 0.2, 0.4]),
    (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (-0.43, 0.43, [-0.4, -0.2, 0.0, 0.2, 0.4]),
    (0.0, 7.0, [0, 2, 4, 6]),
    (3.0, 3.0, [3.0]),
])
def test_ticks_are_round_and_inside(low: float, high: float, expected: list[float]) -> None:
    ticks = nice_ticks(low, high)
    assert ticks == pytest.approx(expected)
    assert all(low - 1e-12 <= t <= high + 1e-12 for t in ticks) and len(ticks) <= 8


def test_ticks_on_random_ranges() -> None:
    rng = __import__("random").Random(0)
    for _ in range(500):
        low = rng.uniform(-1e3, 1e3)
        high = low + 10 ** rng.uniform(-4, 4)
        ticks = nice_ticks(low, high)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else None
        assert 2 <= len(ticks) <= 8 or step is None
        assert all(low - 1e-9 * abs(high) <= t <= high + 1e-9 * abs(high) for t in ticks)
        if step is not None:
            mantissa = step / 10 ** math.floor(math.log10(step))
            assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-6


def test_scales_map_ends_to_edges() -> None:
    linear = Scale(-1.0, 1.0, 50.0, 450.0)
    assert (linear(-1.0), linear(0.0), linear(1.0)) == (50.0, 250.0, 450.0)
    log = Scale(0.1, 10.0, 0.0, 100.0, log=True)
    assert log(1.0) == pytest.approx(50.0) and log(10.0) == pytest.approx(100.0)


def test_text_is_escaped_and_output_repeatable() -> None:
    def draw() -> str:
        canvas = Canvas(100, 50, 'a "title" <b>')
        canvas.rect(10, 5, -4, 3, "#d62728")       # a negative width is drawn leftwards
        canvas.text(1, 2, "x < y & z")
        return canvas.svg()

    svg = draw()
    assert svg == draw()
    assert "x &lt; y &amp; z" in svg and 'aria-label="a &quot;title&quot; &lt;b&gt;"' in svg
    assert re.search(r'<rect x="6" y="5" width="4" height="3" style="fill: #d62728"/>', svg)
