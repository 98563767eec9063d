"""Bias charts: metric values of one facet value against neutral and the concern bands, and the
positive-label and positive-prediction rates of each group.

Pure functions of the result, the same page width, font and colours as :mod:`analyzer.report.charts`
and byte-identical SVG for the same input, but written directly (:mod:`analyzer.report.svg`): a
bias-only job then never imports matplotlib, and the PDF engine draws a few plain shapes per
chart. DI is a ratio (neutral 1, read on a log scale), so it gets its own narrow panel; every
other metric is neutral at 0 and shares one axis.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from analyzer.bias import RATIO_METRICS, Band, GroupStats, outside_band
from analyzer.report.charts import BAND, BLUE, GREY, ORANGE, RED, WIDTH_IN, shorten
from analyzer.report.svg import Canvas, Scale, nice_ticks, tick_text, x_axis
from analyzer.report.verdict import as_number, number

MAX_GROUPS = 25          # bars per rates chart; more groups are in the tables
WIDTH = 72 * WIDTH_IN    # points
RIGHT = WIDTH - 11       # the plot's right edge
ROW = 14.4               # points per metric row (0.2 inch)
TITLE = 25.0             # above the first panel
AXIS = 36.0              # below a panel: ticks, their labels, the axis title


def _row(metric: Mapping[str, Any]) -> tuple[str, float | None]:
    return str(metric.get("name", "")), as_number(metric.get("value"))


def _limit(values: Sequence[float | None], bands: Sequence[Band | None]) -> float:
    """Half-width of the difference axis: room for every finite value and band edge."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    edges = [max(abs(b.low), abs(b.high)) for b in bands if b is not None]
    return 1.15 * max([0.15, *finite, *edges])


def _value_label(canvas: Canvas, x: float, y: float, value: float, right: bool) -> None:
    canvas.text(x + (2 if right else -2), y, number(value), anchor="start" if right else "end")


def _difference_panel(canvas: Canvas, top: float, rows: list[tuple[str, float | None]],
                      bands: Mapping[str, Band], left: float) -> float:
    """Rows of bars from 0 over their bands; returns the panel's bottom (below its axis)."""
    names = [name for name, _ in rows]
    limit = _limit([v for _, v in rows], [bands.get(n) for n in names]) * 1.25
    scale = Scale(-limit, limit, left, RIGHT)
    bottom = top + ROW * len(rows)
    for y, (name, value) in enumerate(rows):
        middle = top + ROW * (y + 0.5)
        band = bands.get(name)
        if band is not None:
            low, high = max(band.low, -limit), min(band.high, limit)
            canvas.rect(scale(low), middle - 0.43 * ROW, scale(high) - scale(low), 0.86 * ROW, BAND)
        canvas.text(left - 4, middle, name, anchor="end")
        if value is None:
            canvas.text(scale(0) + 6, middle, "not computed", colour=GREY)
            continue
        shown = max(-limit / 1.25, min(limit / 1.25, value))   # ±Infinity (TE) drawn to the edge
        colour = RED if outside_band(name, value, dict(bands)) else BLUE
        canvas.rect(scale(0), middle - 0.275 * ROW, scale(shown) - scale(0), 0.55 * ROW, colour)
        _value_label(canvas, scale(shown), middle, value, shown >= 0)
    canvas.line(scale(0), top, scale(0), bottom, width=0.9)
    ticks = nice_ticks(-limit, limit)
    x_axis(canvas, scale, ticks, [tick_text(t) for t in ticks], bottom, "value (neutral 0; green: no concern)")
    return bottom + AXIS


def _ratio_panel(canvas: Canvas, top: float, name: str, value: float | None, band: Band | None,
                 left: float) -> float:
    """DI on a log axis from 0.1 to 10; returns the panel's bottom."""
    low, high = 0.1, 10.0
    scale = Scale(low / 1.5, high * 1.5, left, RIGHT, log=True)
    height = 1.6 * ROW
    middle = top + height / 2
    if band is not None:
        edge_low, edge_high = max(band.low, low / 1.5), min(band.high, high * 1.5)
        canvas.rect(scale(edge_low), top, scale(edge_high) - scale(edge_low), height, BAND)
    canvas.text(left - 4, middle, name, anchor="end")
    if value is None:
        canvas.text(scale(1.0) + 6, middle, "not computed", colour=GREY)
    else:
        shown = min(high, max(low, value)) if value > 0 else low
        colour = RED if outside_band(name, value, {name: band} if band else {}) else BLUE
        canvas.rect(scale(1.0), middle - 0.275 * ROW, scale(shown) - scale(1.0), 0.55 * ROW, colour)
        _value_label(canvas, scale(shown), middle, value, shown >= 1)
    canvas.line(scale(1.0), top, scale(1.0), top + height, width=0.9)
    x_axis(canvas, scale, [low, 1.0, high], ["0.1", "1", "10"], top + height, "ratio (neutral 1, log scale)")
    return top + height + AXIS


def metric_chart(metrics: Sequence[Mapping[str, Any]], bands: Mapping[str, Band], title: str, salt: str) -> str:
    """Horizontal bars from neutral to each metric's value, over its band; red when outside it.

    ``salt`` is kept for the callers (the matplotlib charts need it for their ids); these charts have no ids.
    """
    rows = [_row(m) for m in metrics]
    ratios = [r for r in rows if r[0] in RATIO_METRICS][:1]
    rows = [r for r in rows if r[0] not in RATIO_METRICS]
    left = 0.7 * 72
    height = TITLE + (ROW * len(rows) + AXIS if rows else 0) + (1.6 * ROW + AXIS if ratios else 0) + 4
    canvas = Canvas(WIDTH, height, shorten(title, 90))
    canvas.text(left, 12, shorten(title, 90), size=10)
    top = TITLE
    if rows:
        top = _difference_panel(canvas, top, rows, bands, left)
    for name, value in ratios:
        _ratio_panel(canvas, top, name, value, bands.get(name), left)
    return canvas.svg()


def _rate_rows(groups: Sequence[GroupStats], predictions: bool) -> list[tuple[str, float | None, float | None]]:
    """(name, positive-label rate, positive-prediction rate) per group; one group also shows the rest."""
    chosen = sorted(groups, key=lambda g: -g.rows)[:MAX_GROUPS]
    chosen = [g for g in groups if g in chosen]            # keep the result's order
    rows = [(shorten(g.group, 30), g.positive_label_rate, g.positive_prediction_rate if predictions else None)
            for g in chosen]
    if len(groups) == 1 and groups[0].rest_rows:
        g = groups[0]
        rows.append((shorten(f"not {g.group}", 30), g.rest_positive_label_rate,
                     g.rest_positive_prediction_rate if predictions else None))
    return rows


def rates_chart(facet: str, groups: Sequence[GroupStats], salt: str, predictions: bool = True) -> str:
    """Per group of ``facet``: the share of rows with a positive observed label and (``predictions``,
    when the groups have them) with a positive prediction. Equal bars across groups mean equal
    treatment on that measure. (``salt``: as for :func:`metric_chart`.)"""
    rows = _rate_rows(groups, predictions)
    post = any(p is not None for _, _, p in rows)
    longest = max((len(name) for name, _, _ in rows), default=4)
    left = 72 * min(2.4, 0.25 + 0.075 * longest)             # room for the names
    row = ROW * (1.5 if post else 1.0)
    shown = f" ({len(rows)} largest of {len(groups)} groups)" if len(groups) > MAX_GROUPS else ""
    title = shorten(f"Positive rates by {facet}{shown}", 90)
    canvas = Canvas(WIDTH, TITLE + row * max(len(rows), 1) + AXIS + 4, title)
    canvas.text(left, 12, title, size=10)
    scale = Scale(0.0, 1.12, left, RIGHT)
    bar = (0.38 if post else 0.6) * row
    for y, (name, label, prediction) in enumerate(rows):
        middle = TITLE + row * (y + 0.5)
        canvas.text(left - 4, middle, name, anchor="end")
        layers = [(middle - bar / 2 if post else middle, label, BLUE)]
        if post:
            layers.append((middle + bar / 2, prediction, ORANGE))
        for centre, rate, colour in layers:
            if rate is not None:
                canvas.rect(scale(0), centre - bar / 2, scale(rate) - scale(0), bar, colour)
                canvas.text(scale(rate) + 2, centre, f"{100 * rate:.1f}%")
    bottom = TITLE + row * max(len(rows), 1)
    canvas.line(scale(0), TITLE, scale(0), bottom, GREY, 0.6)
    ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    x_axis(canvas, scale, ticks, [f"{100 * t:.0f}%" for t in ticks], bottom,
           "share of the group's rows with a positive " + ("label (blue) / prediction (orange)" if post else "label"))
    return canvas.svg()
