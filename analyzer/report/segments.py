"""The report's "Segments" section, from the ``segments`` part of analysis.json (analyzer.segments):
per segment configuration, a table of the bias metrics of every segment and a chart comparing the
segments (global SHAP values of the top features when SHAP ran, else one bias metric)."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from analyzer.report import charts
from analyzer.report.document import Block, Cell, Chart, Heading, Section, Table, Text, format_number

STAGES = (("pre_training_bias_metrics", "pre"), ("post_training_bias_metrics", "post"))
#: The metric a bias-only chart compares, the first one present (DPPL/DPL: the plainest reading).
CHART_METRICS = ("DPPL", "DPL", "DI", "CI")
TOP = 8


def _metrics(segment: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(facet, value) → {"pre DPL": value or error text, ...} for one segment."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, prefix in STAGES:
        stage = segment.get(key)
        if not isinstance(stage, Mapping):
            continue
        for facet, entries in (stage.get("facets") or {}).items():
            for entry in entries:
                row = out.setdefault((facet, str(entry.get("value_or_threshold", ""))), {})
                for metric in entry.get("metrics") or []:
                    row[f"{prefix} {metric['name']}"] = metric.get("value") if metric.get("error") is None \
                        else "error"
    return out


def _table(item: Mapping[str, Any]) -> Table | None:
    rows: list[tuple[Mapping[str, Any], dict, list[str]]] = []
    names: list[str] = []
    for segment in item.get("segments") or []:
        per_group = _metrics(segment)
        for values in per_group.values():
            names.extend(n for n in values if n not in names)
        problems = [str(segment[k]["error"]) for k, _ in STAGES
                    if isinstance(segment.get(k), Mapping) and "error" in segment[k]]
        if segment.get("error"):
            problems.append(str(segment["error"]))
        rows.append((segment, per_group, problems))
    if not names and not any(p for _, _, p in rows):
        return None
    body = []
    for segment, per_group, problems in rows:
        lead = (Cell(str(segment.get("name"))), Cell(f"{segment.get('num_rows', 0):,}", "num"))
        for (facet, value), values in per_group.items():
            body.append(lead + (Cell(f"{facet} = {value}"),) + tuple(
                Cell(format_number(values.get(n)), "error" if values.get(n) == "error" else "num") for n in names))
        if problems or not per_group:
            body.append(lead + (Cell("; ".join(problems) or "—", "error" if problems else ""),)
                        + tuple(Cell("—") for _ in names))
    return Table(f"Bias metrics per segment of {item.get('column')}", ("Segment", "Rows", "Facet", *names),
                 tuple(body), kind="metrics")


def _shap_series(item: Mapping[str, Any]) -> tuple[str, list[str], dict[str, list[float]]] | None:
    """(label, top features, segment → values) for the first model output, when SHAP ran."""
    segments = [s for s in item.get("segments") or [] if "explanations" in s]
    if not segments:
        return None
    label = next(iter(segments[0]["explanations"]["kernel_shap"]))
    totals: dict[str, float] = {}
    for s in segments:
        for feature, value in s["explanations"]["kernel_shap"][label]["global_shap_values"].items():
            totals[feature] = totals.get(feature, 0.0) + abs(float(value)) * s.get("num_rows", 1)
    features = [f for f, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:TOP]]
    series = {str(s["name"]): [float(s["explanations"]["kernel_shap"][label]["global_shap_values"][f])
                               for f in features] for s in segments}
    return str(label), features, series


def _bias_series(item: Mapping[str, Any]) -> tuple[str, list[str], dict[str, list[float]]] | None:
    """(metric, facet groups, segment → values) for the first CHART_METRICS metric present."""
    tables = {str(s.get("name")): _metrics(s) for s in item.get("segments") or []}
    for metric in CHART_METRICS:
        for prefix in ("post", "pre"):
            name = f"{prefix} {metric}"
            groups = sorted({f"{f} = {v}" for per in tables.values() for (f, v), vals in per.items() if name in vals})
            if not groups:
                continue
            series = {}
            for segment, per in tables.items():
                values = {f"{f} = {v}": vals.get(name) for (f, v), vals in per.items()}
                series[segment] = [float(v) if isinstance(v := values.get(g), (int, float)) else np.nan
                                   for g in groups]
            return name, groups, series
    return None


def grouped_bars(categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str, xlabel: str,
                 salt: str) -> str:
    """Horizontal bars: one group per category, one bar per segment."""
    import matplotlib   # here: a report without segments never needs it

    with matplotlib.rc_context(charts.RC):
        count = max(len(series), 1)
        figure = charts.new_figure(1.0 + 0.18 * len(categories) * count + 0.3)
        ax = figure.add_subplot()
        height = 0.8 / count
        colours = matplotlib.colormaps["tab10"]
        positions = np.arange(len(categories))[::-1]
        for i, (name, values) in enumerate(series.items()):
            ax.barh(positions + 0.4 - height * (i + 0.5), np.nan_to_num(np.asarray(values, dtype=float)),
                    height=height, color=colours(i % 10), label=charts.shorten(name, 30))
        ax.set_yticks(positions, [charts.shorten(c) for c in categories])
        ax.axvline(0, color=charts.GREY, linewidth=0.6)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        ax.legend(fontsize=7, frameon=False, loc="best")
        return charts.to_svg(figure, salt)


def _chart(item: Mapping[str, Any], index: int) -> Chart | None:
    salt = f"segments-{index}"
    shap = _shap_series(item)
    if shap is not None:
        label, features, series = shap
        caption = f"Global SHAP values per segment of {item.get('column')} (output {label})"
        return Chart(caption, grouped_bars(features, series, caption, "Global SHAP value", salt), "segments")
    bias = _bias_series(item)
    if bias is not None:
        metric, groups, series = bias
        caption = f"{metric} per segment of {item.get('column')}"
        return Chart(caption, grouped_bars(groups, series, caption, metric, salt), "segments")
    return None


def segment_sections(analysis: Mapping[str, Any]) -> list[Section]:
    """The "Segments" section, or nothing when the job had no segment_config."""
    items = analysis.get("segments") or []
    if not items:
        return []
    blocks: list[Block] = [Text("The same analyses on each segment of the data (segment_config); the last "
                                "segment of each configuration holds the rows no listed segment covers. "
                                "Each segment's numbers equal those of a job run on its rows alone.", "intro")]
    for index, item in enumerate(items):
        blocks.append(Heading(f"{item.get('config_name')}: segments of {item.get('column')}"))
        table = _table(item)
        if table is not None:
            blocks.append(table)
        chart = _chart(item, index)
        if chart is not None:
            blocks.append(chart)
    return [Section("segments", "Segments", tuple(blocks))]
