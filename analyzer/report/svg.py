"""A small SVG canvas for the bias charts: bars, lines and text written directly, no plotting library.

The bias charts are a handful of bars and labels. Drawn by matplotlib they cost its import (most
of a second), a layout pass per chart, and an SVG of clip paths and styled paths that the PDF
engine then draws node by node. Written here they are a few hundred bytes of plain ``rect``,
``line`` and ``text`` elements: the same picture, byte-identical for the same input, in
milliseconds. Units are points (1/72 inch); the page scales the chart to its column.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

FONT = "DejaVu Sans, Arial, sans-serif"   # the report's font (charts.RC's font.family)
INK = "#333333"
TICK_INK = "#555555"


def _n(value: float) -> str:
    """A coordinate: at most 2 decimals, no trailing zeros (short, and the same text every run)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass
class Canvas:
    width: float
    height: float
    label: str
    parts: list[str] = field(default_factory=list)

    def rect(self, x: float, y: float, width: float, height: float, fill: str) -> None:
        if width < 0:
            x, width = x + width, -width
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" '
                          f'style="fill: {fill}"/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = INK, width: float = 0.8) -> None:
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
                          f'style="stroke: {stroke}; stroke-width: {_n(width)}"/>')

    def text(self, x: float, y: float, text: str, size: float = 7.0, anchor: str = "start",
             colour: str = INK, weight: str = "normal", rotate: bool = False) -> None:
        """``y`` is the text's middle (centred vertically on it)."""
        turn = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if rotate else ""
        bold = ' font-weight="bold"' if weight != "normal" else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y + 0.35 * size)}" font-size="{_n(size)}" '
                          f'text-anchor="{anchor}"{bold} style="fill: {colour}"{turn}>{html.escape(text)}</text>')

    def svg(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {_n(self.width)} '
                f'{_n(self.height)}" font-family="{FONT}" role="img" aria-label="{html.escape(self.label)}">'
                + "".join(self.parts) + "</svg>")


@dataclass(frozen=True)
class Scale:
    """A linear (or log10) map from data values to x in points."""

    low: float
    high: float
    left: float
    right: float
    log: bool = False

    def __call__(self, value: float) -> float:
        low, high, value = (math.log10(v) for v in (self.low, self.high, value)) if self.log else (
            self.low, self.high, value)
        return self.left + (value - low) / (high - low) * (self.right - self.left)


def nice_ticks(low: float, high: float, most: int = 7) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) inside [low, high], at most ``most``."""
    span = high - low
    if not math.isfinite(span) or span <= 0:
        return [low]
    raw = span / max(most - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    ticks = [round((first + i) * step, 12) for i in range(int((high - first * step) / step + 1e-9) + 1)]
    return [0.0 if t == 0 else t for t in ticks]


def tick_text(value: float) -> str:
    return f"{value:g}"


def x_axis(canvas: Canvas, scale: Scale, ticks: list[float], labels: list[str], y: float, title: str) -> None:
    """The bottom axis: a line, ticks with labels, and the axis title below them."""
    canvas.line(scale.left, y, scale.right, y, TICK_INK, 0.6)
    for value, label in zip(ticks, labels, strict=True):
        x = scale(value)
        canvas.line(x, y, x, y + 3, TICK_INK, 0.6)
        canvas.text(x, y + 9, label, anchor="middle", colour=TICK_INK)
    canvas.text((scale.left + scale.right) / 2, y + 21, title, size=8, anchor="middle")
