"""Bias charts: metric values of one facet value against neutral and the concern bands, and the
positive-label and positive-prediction rates of each group.

Pure functions of the result, drawn like :mod:`analyzer.report.charts` (same page width, fonts,
byte-identical SVG for the same input). DI is a ratio (neutral 1, read on a log scale), so it gets
its own narrow panel; every other metric is neutral at 0 and shares one axis.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import matplotlib
import matplotlib.ticker

from analyzer.bias import RATIO_METRICS, Band, outside_band
from analyzer.bias import GroupStats
from matplotlib.figure import Figure

from analyzer.report.charts import BAND, BLUE, GREY, ORANGE, RC, RED, WIDTH_IN, shorten, to_svg
from analyzer.report.verdict import as_number, number

MAX_GROUPS = 25          # bars per rates chart; more groups are in the tables


def _row(metric: Mapping[str, Any]) -> tuple[str, float | None]:
    return str(metric.get("name", "")), as_number(metric.get("value"))


def _limit(values: Sequence[float | None], bands: Sequence[Band | None]) -> float:
    """Half-width of the difference axis: room for every finite value and band edge."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    edges = [max(abs(b.low), abs(b.high)) for b in bands if b is not None]
    return 1.15 * max([0.15, *finite, *edges])


def _value_text(value: float) -> str:
    return number(value)


def _difference_panel(ax: Any, rows: list[tuple[str, float | None]], bands: Mapping[str, Band]) -> None:
    """One call per layer (bands, bars), not one per row: each artist costs layout and drawing time."""
    names = [name for name, _ in rows]
    limit = _limit([v for _, v in rows], [bands.get(n) for n in names])
    banded = [(y, bands[n]) for y, n in enumerate(names) if n in bands]
    ax.barh([y for y, _ in banded], [b.high - b.low for _, b in banded], left=[b.low for _, b in banded],
            height=0.86, color=BAND, zorder=0)
    drawn: list[tuple[int, str, float]] = [(y, name, value) for y, (name, value) in enumerate(rows)
                                           if value is not None]
    shown = [max(-limit, min(limit, value)) for _, _, value in drawn]   # ±Infinity (TE) drawn to the edge
    colours = [RED if outside_band(name, value, dict(bands)) else BLUE for _, name, value in drawn]
    ax.barh([y for y, _, _ in drawn], shown, height=0.55, color=colours, zorder=2)
    for (y, _, value), x in zip(drawn, shown, strict=True):
        ax.text(x, y, f" {_value_text(value)} ", va="center", fontsize=7, ha="left" if x >= 0 else "right", zorder=3)
    for y, (_, missing) in enumerate(rows):
        if missing is None:
            ax.text(0, y, "  not computed", va="center", fontsize=7, color=GREY)
    ax.axvline(0.0, color="#333333", linewidth=0.9, zorder=1)
    ax.set_xlim(-limit * 1.25, limit * 1.25)
    ax.set_yticks(range(len(rows)), names)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("value (neutral 0; green: no concern)")


def _ratio_panel(ax: Any, name: str, value: float | None, band: Band | None) -> None:
    ax.set_xscale("log")
    low, high = 0.1, 10.0
    if band is not None:
        ax.axvspan(band.low, band.high, color=BAND, zorder=0)
    ax.axvline(1.0, color="#333333", linewidth=0.9, zorder=1)
    if value is None:
        ax.text(1.0, 0, "  not computed", va="center", fontsize=7, color=GREY)
    else:
        shown = min(high, max(low, value)) if value > 0 else low
        colour = RED if outside_band(name, value, {name: band} if band else {}) else BLUE
        ax.barh(0, shown - 1.0, left=1.0, height=0.55, color=colour, zorder=2)
        ax.text(shown, 0, f" {_value_text(value)} ", va="center", fontsize=7, ha="left" if shown >= 1 else "right",
                zorder=3)
    ax.set_xlim(low / 1.5, high * 1.5)
    ax.set_yticks([0], [name])
    ax.set_ylim(0.5, -0.5)
    ax.set_xlabel("ratio (neutral 1, log scale)")


def _fixed_figure(height_in: float, left_in: float) -> Figure:
    """A figure with fixed margins in inches: constrained layout would cost more than the drawing."""
    figure = Figure(figsize=(WIDTH_IN, height_in), layout=None)
    figure.subplots_adjust(left=left_in / WIDTH_IN, right=1 - 0.15 / WIDTH_IN, top=1 - 0.35 / height_in,
                           bottom=0.5 / height_in)
    return figure


def metric_chart(metrics: Sequence[Mapping[str, Any]], bands: Mapping[str, Band], title: str, salt: str) -> str:
    """Horizontal bars from neutral to each metric's value, over its band; red when outside it."""
    rows = [_row(m) for m in metrics]
    ratios = [r for r in rows if r[0] in RATIO_METRICS]
    rows = [r for r in rows if r[0] not in RATIO_METRICS]
    with matplotlib.rc_context(RC):
        figure = _fixed_figure(0.95 + 0.2 * max(len(rows), 1) + (0.55 if ratios else 0), left_in=0.7)
        if ratios and rows:
            top, bottom = figure.subplots(2, 1, height_ratios=[max(len(rows), 1), 1.6],
                                          gridspec_kw={"hspace": 0.9 / max(len(rows), 1) + 0.25})
        else:
            top, bottom = figure.add_subplot(), None
        if rows:
            _difference_panel(top, rows, bands)
        for name, value in ratios[:1]:
            _ratio_panel(bottom if bottom is not None else top, name, value, bands.get(name))
        top.set_title(shorten(title, 90), loc="left")
        return to_svg(figure, salt)


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
    treatment on that measure."""
    rows = _rate_rows(groups, predictions)
    post = any(p is not None for _, _, p in rows)
    longest = max((len(name) for name, _, _ in rows), default=4)
    with matplotlib.rc_context(RC):
        height_in = 1.0 + (0.3 if post else 0.2) * max(len(rows), 1)
        figure = _fixed_figure(height_in, left_in=min(2.4, 0.25 + 0.075 * longest))   # room for the names
        ax = figure.add_subplot()
        height = 0.38 if post else 0.6
        observed = [(y, label) for y, (_, label, _) in enumerate(rows)]
        predicted = [(y, pred) for y, (_, _, pred) in enumerate(rows)]
        layers = [(-height / 2 if post else 0.0, observed, BLUE)]
        if post:
            layers.append((height / 2, predicted, ORANGE))
        for offset, rates, colour in layers:
            bars = [(y + offset, rate) for y, rate in rates if rate is not None]
            ax.barh([y for y, _ in bars], [r for _, r in bars], height=height, color=colour)
            for y, rate in bars:
                ax.text(rate, y, f" {100 * rate:.1f}%", va="center", fontsize=7)
        ax.set_yticks(range(len(rows)), [name for name, _, _ in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, 1.12)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel("share of the group's rows with a positive "
                      + ("label (blue) / prediction (orange)" if post else "label"))
        shown = f" ({len(rows)} largest of {len(groups)} groups)" if len(groups) > MAX_GROUPS else ""
        ax.set_title(shorten(f"Positive rates by {facet}{shown}", 90), loc="left")
        ax.axvline(0, color=GREY, linewidth=0.6)
        return to_svg(figure, salt)
