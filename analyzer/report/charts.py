"""Charts as pure functions of the result: same input, byte-identical SVG text.

Each chart is drawn on its own ``Figure`` with matplotlib's SVG canvas (no pyplot state, no display
and no global backend switch), with a
fixed hash salt per chart (so inline SVGs in one page get distinct ids), no date in the metadata,
text kept as text (small, searchable in the PDF) and, for many points, a rasterized layer so that
size grows with features, not rows.
"""
from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from analyzer.formats import score_names
from analyzer.report.verdict import as_number
from analyzer.report.verdict import top_features as _ranked

if TYPE_CHECKING:   # matplotlib is imported by the functions that draw: a bias-only report never needs it
    from matplotlib.figure import Figure

WIDTH_IN = 6.5           # fits A4 and Letter with 2 cm margins
TOP_FEATURES = 20
MAX_POINTS = 1500        # per feature in the local summary; more adds ink, not information
RASTER_DPI = 110
BLUE, RED, GREY, ORANGE = "#1f77b4", "#d62728", "#7f7f7f", "#ff7f0e"
BAND = "#e3f1e3"          # the concern band: values inside it raise no concern

RC: Any = {   # matplotlib types rc keys as literals; these are checked by use
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.image_inline": True,
}
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_ID_OR_REF = re.compile(r'(\bid="|url\(#|href="#)([^"()]+)')
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def to_svg(figure: Figure, salt: str) -> str:
    """SVG text ready to inline in HTML: no XML prologue or DOCTYPE, no date, ids salted per chart."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    with matplotlib.rc_context({**RC, "svg.hashsalt": salt}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, dpi=RASTER_DPI)
    text = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text, count=1)   # creator/format RDF: noise in a page, and not ours to vary
    # Several charts share one HTML page: prefix every id and internal reference with the chart's salt.
    text = _ID_OR_REF.sub(lambda m: f"{m.group(1)}{salt}-{m.group(2)}", text)
    # Let the page scale the chart to its column: keep the viewBox, drop the fixed size.
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart-svg"', text, count=1)


def new_figure(height_in: float) -> Figure:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):
        return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def top_features(values: Mapping[str, float], top: int = TOP_FEATURES) -> list[tuple[str, float]]:
    """Features by |value|, largest first (the verdict's ranking, so summary and chart agree)."""
    return _ranked(values, top)


def shap_bar_chart(values: Mapping[str, float], title: str, salt: str, top: int = TOP_FEATURES,
                   errors: Mapping[str, Any] | None = None) -> str:
    """Horizontal bars of global SHAP values, the most important feature on top; with ``errors``
    (standard errors per feature) each bar gets a ±2 SE whisker."""
    items = top_features(values, top)
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = new_figure(0.9 + 0.24 * max(len(items), 1))
        ax = figure.add_subplot()
        names = [shorten(name) for name, _ in items][::-1]
        numbers = [value for _, value in items][::-1]
        whiskers = None
        if errors:
            whiskers = [2 * (as_number(errors.get(name)) or 0.0) for name, _ in items][::-1]
        bars = ax.barh(range(len(items)), numbers, color=[BLUE if v >= 0 else RED for v in numbers], height=0.7,
                       xerr=whiskers, error_kw={"ecolor": GREY, "elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(range(len(items)), names)
        ax.bar_label(bars, labels=[f"{v:.4g}" for v in numbers], padding=3, fontsize=7)
        ax.set_xlabel("Global SHAP value")
        ax.set_title(title, loc="left")
        ax.margins(x=0.15)
        if not items:
            ax.text(0.5, 0.5, "No finite SHAP values", ha="center", va="center", transform=ax.transAxes)
        return to_svg(figure, salt)


def _swarm_offsets(values: np.ndarray, rng: np.random.Generator, bins: int = 60) -> np.ndarray:
    """Vertical offsets in [-0.4, 0.4] that widen where values are dense (a beeswarm's look, in O(n))."""
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high <= low:
        density = np.ones_like(values)
    else:
        counts, edges = np.histogram(values, bins=bins, range=(low, high))
        index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
        density = counts[index] / counts.max()
    return rng.uniform(-0.4, 0.4, size=values.size) * np.sqrt(density)


def _colour_values(features: pd.DataFrame | None, column: str, rows: np.ndarray) -> np.ndarray | None:
    """Feature values scaled to [0, 1] by rank (robust to outliers); None if not numeric or absent."""
    if features is None or column not in features.columns:
        return None
    series = pd.to_numeric(features[column].iloc[rows], errors="coerce")
    if series.isna().all():
        return None
    return series.rank(pct=True).fillna(0.5).to_numpy()


def _drawn(n: int, max_points: int, rng: np.random.Generator) -> np.ndarray:
    """Every row, or ``max_points`` of them drawn from ``rng`` (sorted)."""
    if n <= max_points:
        return np.arange(n)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def beeswarm_rows(n: int, max_points: int | None = None, seed: int = 0) -> np.ndarray:
    """The rows of ``n`` that :func:`beeswarm_chart` draws: all up to ``max_points`` (:data:`MAX_POINTS`),
    else a fixed-seed sample."""
    return _drawn(n, MAX_POINTS if max_points is None else max_points, np.random.default_rng(seed))


def beeswarm_chart(local: pd.DataFrame, title: str, salt: str, features: pd.DataFrame | None = None,
                   top: int = TOP_FEATURES, max_points: int | None = None, seed: int = 0, *,
                   of_rows: int | None = None, importance: pd.Series | None = None) -> str:
    """One row of points per feature (top ``top`` by mean |SHAP|): where the SHAP values of rows fall.

    At most ``max_points`` (:data:`MAX_POINTS`) rows are drawn per feature (a fixed-seed sample), as a
    raster layer, so the chart's size does not grow with the rows. With ``features``, points are coloured
    by feature value.
    ``local`` (and ``features``) may hold only the rows :func:`beeswarm_rows` picks of ``of_rows`` rows (a
    dataset read in chunks), with ``importance`` every row's mean |SHAP| per column: the same chart.
    """
    numeric = local.apply(pd.to_numeric, errors="coerce")
    mean_abs = numeric.abs().mean() if importance is None else importance.reindex(numeric.columns)
    columns = list(mean_abs.fillna(0.0).sort_values(ascending=False, kind="stable").index[:top])
    rng = np.random.default_rng(seed)
    total = len(numeric) if of_rows is None else of_rows
    rows = _drawn(total, MAX_POINTS if max_points is None else max_points, rng)
    if of_rows is not None:
        if rows.size != len(numeric):
            raise ValueError(f"{len(numeric)} local value rows for a sample of {rows.size} of {of_rows} rows")
        rows = np.arange(len(numeric))   # the sample's rows: the same values in the same order
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = new_figure(1.0 + 0.3 * max(len(columns), 1))
        ax = figure.add_subplot()
        coloured = None
        for position, column in enumerate(reversed(columns)):
            values = numeric[column].to_numpy(dtype=float)[rows]
            keep = np.isfinite(values)
            offsets = _swarm_offsets(values[keep], rng)
            colours = _colour_values(features, column, rows)
            if colours is not None:
                coloured = ax.scatter(values[keep], position + offsets, c=colours[keep], cmap="coolwarm",
                                      vmin=0, vmax=1, s=4, linewidths=0, rasterized=True)
            else:
                ax.scatter(values[keep], position + offsets, color=BLUE, s=4, linewidths=0, alpha=0.6,
                           rasterized=True)
        ax.axvline(0, color=GREY, linewidth=0.8)
        ax.set_yticks(range(len(columns)), [shorten(c) for c in reversed(columns)])
        ax.set_xlabel("SHAP value (impact on the model output)")
        shown = f"{rows.size:,} of {total:,} rows" if rows.size < total else f"{rows.size:,} rows"
        ax.set_title(f"{title} ({shown})", loc="left")
        if coloured is not None:
            bar = figure.colorbar(coloured, ax=ax, ticks=[0, 1], shrink=0.5, aspect=25, pad=0.01)
            bar.ax.set_yticklabels(["low", "high"])
            bar.set_label("Feature value")
        return to_svg(figure, salt)


def _as_float_list(values: Sequence[Any]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        return None


def _pdp_series(entry: Mapping[str, Any], size: int) -> list[tuple[str, list[float]]]:
    """(output name, predictions) for each model output whose length matches the grid."""
    predictions = list(entry.get("model_predictions") or [])
    headers = tuple(str(h) for h in entry.get("label_headers") or ())
    names = score_names(len(predictions), headers or None)      # Clarify's label0, label1, ... when absent
    out = []
    for name, series in zip(names, predictions, strict=True):
        numbers = _as_float_list(list(series)) or []
        if len(numbers) == size:
            out.append((name, numbers))
    return out


def pdp_chart(entry: Mapping[str, Any], salt: str) -> str:
    """Partial dependence of the model output on one feature, over the data's distribution.

    Numerical features: a line per model output over grey bars of the data's share per grid point.
    Categorical features: coloured bars of the model output per category, the data's share as grey
    diamonds (bars on bars would hide each other).
    """
    name = str(entry.get("feature_name", "feature"))
    grid = list(entry.get("feature_values") or [])
    distribution = _as_float_list(list(entry.get("data_distribution") or [])) or []
    numeric_grid = _as_float_list(grid) if entry.get("data_type") != "categorical" else None
    positions = numeric_grid if numeric_grid is not None else list(range(len(grid)))
    series = _pdp_series(entry, len(positions))
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = new_figure(2.6)
        ax = figure.add_subplot()
        share = ax.twinx()
        share.spines["right"].set_visible(True)
        has_share = len(distribution) == len(positions) and bool(positions)
        if numeric_grid is not None:
            if has_share:
                width = np.ptp(positions) / len(positions) * 0.8 if len(positions) > 1 else 0.8
                share.bar(positions, distribution, width=width or 0.8, color=GREY, alpha=0.25)
            for label, numbers in series:
                ax.plot(positions, numbers, "-o", markersize=3, linewidth=1.4, label=label)
        else:
            width = 0.8 / max(len(series), 1)
            for k, (label, numbers) in enumerate(series):
                offsets = [p - 0.4 + width * (k + 0.5) for p in positions]
                ax.bar(offsets, numbers, width=width * 0.9, label=label)
            if has_share:
                share.plot(positions, distribution, "D", color=GREY, markersize=5)
            ax.set_xticks(positions, [shorten(str(g), 14) for g in grid], rotation=30, ha="right")
        share.set_ylabel("Share of rows", color=GREY)
        share.tick_params(axis="y", colors=GREY)
        share.set_ylim(0, max(distribution, default=0) * 1.15 or 1)   # room above the tallest marker
        if numeric_grid is not None:
            ax.set_zorder(share.get_zorder() + 1)   # the lines above the distribution's bars
            ax.patch.set_visible(False)
        ax.set_xlabel(shorten(name, 60))
        ax.set_ylabel("Model output")
        ax.set_title(f"Partial dependence on {shorten(name, 60)}", loc="left")
        if len(series) > 1:
            ax.legend(fontsize=7, loc="best")
        return to_svg(figure, salt)
