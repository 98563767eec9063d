"""The report's time-series section: per item, how each series' timestamps moved the forecast.

From the stage's lines (the content of ``out.jsonl``): a table of every shown item (baseline
forecast, forecast, the cells that moved it most) and, per item, a chart of each series'
attribution over time (summed over the forecast steps).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping, Sequence

import matplotlib

from analyzer.report import charts
from analyzer.report.blocks import Block, Cell, Chart, Section, Table, Text, format_number

#: Items charted; the table and out.jsonl hold the others.
MAX_ITEM_CHARTS = 4
MAX_TABLE_ITEMS = 50
TOP_CELLS = 3


def _cell_totals(line: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(``series @ timestamp``, attribution summed over the forecast steps) per explained cell."""
    out = []
    for e in line.get("explanations") or []:
        where = f"{e.get('feature_name')} @ {e['timestamp']}" if "timestamp" in e else str(e.get("feature_name"))
        out.append((where, float(sum(e.get("scores") or []))))
    return out


def _item_rows(lines: Sequence[Mapping[str, Any]]) -> tuple[tuple[Cell, ...], ...]:
    rows = []
    for line in lines[:MAX_TABLE_ITEMS]:
        offset = [float(v) for v in line.get("offset") or []]
        totals = _cell_totals(line)
        forecast = [o + sum(float(e["scores"][h]) for e in line.get("explanations") or [])
                    for h, o in enumerate(offset)]
        top = sorted(totals, key=lambda kv: -abs(kv[1]))[:TOP_CELLS]
        rows.append((Cell(str(line.get("item_id"))), Cell(format_number(sum(offset)), "num"),
                     Cell(format_number(sum(forecast)), "num"),
                     Cell("; ".join(f"{name}: {format_number(v)}" for name, v in top) or "—")))
    return tuple(rows)


def _item_chart(line: Mapping[str, Any], salt: str) -> str:
    """One line per series: attribution (summed over the forecast steps) at each timestamp."""
    series: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for e in line.get("explanations") or []:
        if "timestamp" in e:
            series[str(e.get("feature_name"))].append((str(e["timestamp"]), float(sum(e.get("scores") or []))))
    stamps = list(dict.fromkeys(s for points in series.values() for s, _ in points))
    position = {s: i for i, s in enumerate(stamps)}
    with matplotlib.rc_context(charts.RC):
        figure = charts.new_figure(2.6)
        ax = figure.add_subplot()
        for name, points in series.items():
            ax.plot([position[s] for s, _ in points], [v for _, v in points], marker="o", markersize=3,
                    linewidth=1, label=charts.shorten(name, 30))
        ax.axhline(0, color=charts.GREY, linewidth=0.6)
        ticks = list(range(0, len(stamps), max(1, len(stamps) // 8)))
        ax.set_xticks(ticks, [charts.shorten(stamps[i], 19) for i in ticks], rotation=30, ha="right", fontsize=6)
        ax.set_ylabel("Attribution (all steps)")
        ax.set_title(f"Item {charts.shorten(str(line.get('item_id')), 40)}", loc="left")
        if series:
            ax.legend(fontsize=6, loc="best")
        return charts.to_svg(figure, salt)


def time_series_section(entry: Mapping[str, Any], data: Mapping[str, Any] | None) -> Section:
    """The section for ``explanations.asymmetric_shapley_value`` (``data``: the stage's lines)."""
    direction, granularity = entry.get("direction", ""), entry.get("granularity", "")
    lines = list((data or {}).get("lines") or [])
    blocks: list[Block] = [Text(
        f"Asymmetric Shapley values ({granularity}, {direction}) of {len(lines)} item(s): how much each "
        "timestamp of each series moved the forecast away from the baseline forecast. For every item and "
        "forecast step, baseline forecast + the sum of the attributions = the forecast. All values are in "
        f"{entry.get('explanation_results_path', 'out.jsonl')}.", "intro")]
    if not lines:
        return Section("time-series-explanations", "Time series explanations", tuple(blocks))
    blocks.append(Table("Items: baseline forecast and forecast (sums over the forecast steps), the cells that moved "
                        f"it most{'' if len(lines) <= MAX_TABLE_ITEMS else f' (first {MAX_TABLE_ITEMS} items)'}",
                        ("Item", "Baseline forecast", "Forecast", f"Top {TOP_CELLS} cells (attribution)"),
                        _item_rows(lines), kind="data"))
    for i, line in enumerate(lines[:MAX_ITEM_CHARTS]):
        blocks.append(Chart(f"Attributions over time, item {line.get('item_id')}", _item_chart(line, f"ts-{i}"),
                            "time-series"))
    if len(lines) > MAX_ITEM_CHARTS:
        blocks.append(Text(f"Charts for the first {MAX_ITEM_CHARTS} of {len(lines)} items.", "note"))
    return Section("time-series-explanations", "Time series explanations", tuple(blocks))
