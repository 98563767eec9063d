"""The report model: one ordered list of sections built from the analysis document and the context.

The notebook, HTML and PDF renderers only lay out these blocks; every number, sentence and chart is
decided here, so the three formats cannot disagree.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from analyzer.report import bias_charts, charts
from analyzer.report.blocks import Block, Cell, Chart, Heading, Report, Section, Table, Text, format_number
from analyzer.bias import Band
from analyzer.report.concern import concern_section
from analyzer.report.context import DIAGNOSTICS_KEY, DatasetSummary, GroupStats, ReportContext
from analyzer.report.readings import GLOSSARY, reading
from analyzer.report.text import text_blocks
from analyzer.report.verdict import Verdict, as_number, assess

STAGE_KEYS = {"pre_training": "pre-training-bias", "post_training": "post-training-bias"}   # section ids

#: Metric charts per facet; a facet with more values is charted where it is farthest from neutral.
MAX_METRIC_CHARTS = 6



def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _kv(caption: str, pairs: Sequence[tuple[str, str]]) -> Table:
    return Table(caption, ("Item", "Value"), tuple((Cell(k), Cell(v)) for k, v in pairs), kind="kv")


# -- sections -----------------------------------------------------------------------------------------
def _overview(title: str, context: ReportContext, analysis: Mapping[str, Any]) -> Section:
    contents = [name for key, name in (("pre_training_bias_metrics", "pre-training bias"),
                                       ("post_training_bias_metrics", "post-training bias"),
                                       ("explanations", "explanations")) if key in analysis]
    blocks: list[Block] = [
        _kv("Run", [("Generated", context.generated or "—"), ("Tool version", context.tool_version),
                    ("Analyses", ", ".join(contents) or "none")]),
    ]
    if context.config_summary:
        blocks.append(Table("Effective configuration (in brief)", ("Key", "Value"),
                            tuple((Cell(k), Cell(v)) for k, v in context.config_summary), kind="kv"))
    blocks.extend(Text(note, "note") for note in context.notes)
    return Section("overview", "Overview", tuple(blocks))


def _dataset(summary: DatasetSummary) -> Section:
    pairs = [("Rows", f"{summary.rows:,}"), ("Features", str(summary.features)),
             ("Label", summary.label or "—")]
    if summary.positive_label is not None:
        pairs.append(("Positive label", summary.positive_label))
    blocks: list[Block] = [_kv("Dataset", pairs)]
    if summary.label_distribution:
        blocks.append(Table("Label distribution", ("Label value", "Rows", "Share"), tuple(
            (Cell(value), Cell(f"{count:,}", "num"), Cell(_percent(count / summary.rows if summary.rows else 0), "num"))
            for value, count in summary.label_distribution), kind="data"))
    if summary.groups:
        blocks.append(_groups_table(summary))
    return Section("dataset", "Dataset", tuple(blocks))


def _groups_table(summary: DatasetSummary) -> Table:
    """Each facet value (d) with the rest (a) beside it: rows and positive rates."""
    post = any(g.positive_prediction_rate is not None for g in summary.groups)
    columns = ["Facet", "Value or threshold (d)", "Rows", "Share of rows", "Positive-label rate: d", "rest"]
    if post:
        columns += ["Positive-prediction rate: d", "rest"]
    rows = []
    for g in summary.groups:
        cells = [Cell(g.facet), Cell(g.group), Cell(f"{g.rows:,}", "num"), Cell(_percent(g.proportion), "num"),
                 Cell(_percent(g.positive_label_rate), "num"), Cell(_percent(g.rest_positive_label_rate), "num")]
        if post:
            cells += [Cell(_percent(g.positive_prediction_rate), "num"),
                      Cell(_percent(g.rest_positive_prediction_rate), "num")]
        rows.append(tuple(cells))
    return Table("Facet groups (d: the value or threshold; rest: every other row)", tuple(columns), tuple(rows),
                 kind="data")


def _metric_rows(metrics: Sequence[Mapping[str, Any]]) -> tuple[tuple[Cell, ...], ...]:
    rows = []
    for metric in metrics:
        name = str(metric.get("name", ""))
        text = reading(name)
        if metric.get("error") is not None or metric.get("value") is None:
            error = metric.get("error") or "no value"
            rows.append((Cell(name), Cell(str(metric.get("description", ""))), Cell("error", "error"),
                         Cell(f"Not computed: {error}", "error"), Cell(text.concern)))
        else:
            rows.append((Cell(name), Cell(str(metric.get("description", ""))),
                         Cell(format_number(metric["value"]), "num"), Cell(text.meaning), Cell(text.concern)))
    return tuple(rows)


def _ranked_entries(entries: Sequence[Mapping[str, Any]], worst: Mapping[str, float]) -> list[int]:
    """Indices of the entries to chart: all, or the MAX_METRIC_CHARTS farthest from neutral."""
    if len(entries) <= MAX_METRIC_CHARTS:
        return list(range(len(entries)))
    key = [-worst.get(str(e.get("value_or_threshold")), 0.0) for e in entries]
    order = sorted(range(len(entries)), key=key.__getitem__)   # stable: ties keep the result's order
    return sorted(order[:MAX_METRIC_CHARTS])


def _facet_charts(facet: str, entries: Sequence[Mapping[str, Any]], groups: Sequence[GroupStats],
                  stage: str, verdict: Verdict) -> list[Block]:
    salt = f"{stage}-{_slug(facet)}"
    blocks: list[Block] = []
    if groups:
        blocks.append(Chart(f"Positive rates by {facet}", bias_charts.rates_chart(facet, groups, f"{salt}-rates",
                                                                               stage == "post-training-bias"),
                            "bias-rates"))
    worst = {g.group: max((f.severity for f in g.flags), default=0.0)
             for g in verdict.groups if g.facet == facet and STAGE_KEYS.get(g.stage) == stage}
    chosen = _ranked_entries(entries, worst)
    if len(chosen) < len(entries):
        blocks.append(Text(f"Metric charts for the {len(chosen)} of {len(entries)} values of {facet} farthest from "
                           "neutral; the tables below hold every value.", "note"))
    for i in chosen:
        value = str(entries[i].get("value_or_threshold", ""))
        blocks.append(Chart(f"{facet} = {value}: metric values against neutral",
                            bias_charts.metric_chart(entries[i].get("metrics") or [], verdict.bands,
                                                     f"{facet} = {value}: metric values against neutral",
                                                     f"{salt}-{i}"), "bias-metrics"))
    return blocks


def _bias(section: Mapping[str, Any], key: str, title: str, intro: str, groups: Sequence[GroupStats],
          verdict: Verdict) -> Section:
    label = section.get("label", "")
    positive = section.get("label_value_or_threshold", "")
    blocks: list[Block] = [Text(f"{intro} Label: {label}; positive label value or threshold: {positive}. "
                                "In each table d is the facet value named in its title and a is every other row. "
                                "Charts: bars run from neutral to the value; the green band is where a value "
                                "raises no concern, red bars lie outside it.", "intro")]
    for facet, entries in (section.get("facets") or {}).items():
        blocks.append(Heading(f"Facet {facet}"))
        blocks.extend(_facet_charts(str(facet), entries, [g for g in groups if g.facet == facet], key, verdict))
        for entry in entries:
            value = entry.get("value_or_threshold", "")
            blocks.append(Table(f"{facet} = {value}", ("Metric", "Description", "Value", "Reading",
                                                       "What to look for"),
                                _metric_rows(entry.get("metrics") or []), kind="metrics"))
    return Section(key, title, tuple(blocks))


def _performance(summary: DatasetSummary) -> Section | None:
    blocks: list[Block] = []
    if summary.performance is not None:
        perf = summary.performance
        blocks.append(Table("Model performance (all rows)", ("Metric", "Value"),
                            tuple((Cell(n), Cell(format_number(v), "num")) for n, v in perf.metrics), kind="data"))
        blocks.append(Table("Binary confusion matrix (fractions of all rows)", ("", "Predicted positive",
                                                                                "Predicted negative"),
                            ((Cell("Observed positive"), Cell(format_number(perf.confusion[0]), "num"),
                              Cell(format_number(perf.confusion[2]), "num")),
                             (Cell("Observed negative"), Cell(format_number(perf.confusion[1]), "num"),
                              Cell(format_number(perf.confusion[3]), "num"))), kind="data"))
    groups = [g for g in summary.groups if g.confusion is not None]
    if groups:
        blocks.append(Table("Confusion matrix per facet value (fractions of the group's rows)",
                            ("Facet", "Value or threshold", "TP", "FP", "FN", "TN"),
                            tuple((Cell(g.facet), Cell(g.group),
                                   *(Cell(format_number(x), "num") for x in g.confusion))  # type: ignore[union-attr]
                                  for g in groups), kind="data"))
    if not blocks:
        return None
    return Section("model-performance", "Model performance", tuple(blocks))


def _local_chart(context: ReportContext, label: str, features: Sequence[str], several: bool, salt: str) -> Chart | None:
    """One output's local SHAP chart, from out.csv's columns ``<feature>_<label>`` (one output: or the features)."""
    local, importance = context.local_shap, context.local_importance
    columns = {f"{f}_{label}": f for f in features}
    if local is not None and not several and not all(c in local.columns for c in columns):
        columns = {f: f for f in features}
    if local is None or not len(local) or not all(c in local.columns for c in columns):
        return None
    if importance is not None:   # a sample's: every row's mean |SHAP|
        importance = importance.reindex(list(columns)).rename(index=columns)
    return Chart(f"Local SHAP values, output {label}", charts.beeswarm_chart(
        local[list(columns)].rename(columns=columns), f"Local SHAP values — {label}", salt + "-local",
        features=context.local_features, of_rows=context.local_rows, importance=importance), "shap-local")


def _shap_table(values: Mapping[str, Any], errors: Mapping[str, Any], label: str) -> Table:
    """The top features with their Monte-Carlo standard errors (analysis.json's analyzer_diagnostics)."""
    rows = []
    for name, value in charts.top_features(values):
        se = as_number(errors.get(name))
        rows.append((Cell(name), Cell(format_number(value), "num"), Cell(format_number(se), "num"),
                     Cell("—" if se is None else f"[{format_number(value - 2 * se)}, {format_number(value + 2 * se)}]",
                          "num")))
    return Table(f"Top global SHAP values with standard errors, output {label} (whiskers in the chart: ±2 SE)",
                 ("Feature", "Global SHAP value", "Standard error", "About 95% range"), tuple(rows), kind="data")


def _explanations(explanations: Mapping[str, Any], context: ReportContext) -> Section:
    blocks: list[Block] = []
    kernel = explanations.get("kernel_shap") or {}
    warnings = list(context.shap_warnings)
    for label, block in kernel.items():
        if not isinstance(block, Mapping) or "global_shap_values" not in block:
            continue
        values = block["global_shap_values"]
        salt = f"shap-{_slug(str(label))}"
        blocks.append(Heading(f"SHAP values for output {label}"))
        expected = format_number(block.get("expected_value"))
        blocks.append(Text(f"Expected value (model output on the baseline): {expected}. "
                           f"Showing the top {min(charts.TOP_FEATURES, len(values))} of {len(values)} features."))
        diagnostics = block.get(DIAGNOSTICS_KEY) or {}
        errors = diagnostics.get("global_shap_standard_errors") or None
        if values:   # a text-only model has no tabular features
            blocks.append(Chart(f"Global SHAP values, output {label}",
                                charts.shap_bar_chart(values, f"Global SHAP values — {label}", salt, errors=errors),
                                "shap-bar"))
        if errors:
            blocks.append(_shap_table(values, errors, str(label)))
        blocks.extend(text_blocks(str(label), block))   # global_top_shap_text (methods.shap.text_config)
        local = _local_chart(context, str(label), list(values), len(kernel) > 1, salt)
        blocks.extend([local] if local is not None else [])
        warnings.extend(str(w) for w in diagnostics.get("warnings") or [])
    unique = list(dict.fromkeys(warnings))
    if unique:
        blocks.append(Heading("SHAP accuracy warnings"))
        blocks.extend(Text(w, "warning") for w in unique)
    pdp = explanations.get("pdp") or []
    if pdp:
        blocks.append(Heading("Partial dependence"))
        for i, entry in enumerate(pdp):
            name = str(entry.get("feature_name", f"feature {i}"))
            blocks.append(Chart(f"Partial dependence on {name}",
                                charts.pdp_chart(entry, f"pdp-{i}-{_slug(name)}"), "pdp"))
    from analyzer.report.images import image_blocks  # methods.shap.image_config results

    blocks.extend(image_blocks(explanations, dict(context.images)))
    if not blocks:
        blocks.append(Text("The explanations section holds no SHAP or PDP results to show."))
    return Section("explanations", "Explanations", tuple(blocks))


def _glossary() -> Section:
    return Section("glossary", "Glossary", (Table("Terms", ("Term", "Meaning"),
                                                  tuple((Cell(t), Cell(m)) for t, m in GLOSSARY), kind="glossary"),))


def build_report(analysis: Mapping[str, Any], context: ReportContext, title: str,
                 bands: Mapping[str, Band] | None = None) -> Report:
    """The report for ``analysis`` (the analysis.json document) and ``context``; ``bands`` replace the
    default concern bands (threshold rules)."""
    verdict = assess(analysis, context, bands)
    groups = context.dataset.groups if context.dataset is not None else ()
    sections = [concern_section(verdict), _overview(title, context, analysis)]
    if context.dataset is not None:
        sections.append(_dataset(context.dataset))
    if "pre_training_bias_metrics" in analysis:
        sections.append(_bias(analysis["pre_training_bias_metrics"], "pre-training-bias", "Pre-training bias",
                              "Bias in the data and its labels, before any model.", groups, verdict))
    if "post_training_bias_metrics" in analysis:
        sections.append(_bias(analysis["post_training_bias_metrics"], "post-training-bias", "Post-training bias",
                              "Bias in the model's predictions.", groups, verdict))
        performance = _performance(context.dataset) if context.dataset is not None else None
        if performance is not None:
            sections.append(performance)
    explanations = analysis.get("explanations") or {}
    if set(explanations) - {"asymmetric_shapley_value"}:
        sections.append(_explanations(explanations, context))
    if "asymmetric_shapley_value" in explanations:   # forecasts: analyzer.report.time_series
        from analyzer.report.time_series import time_series_section

        sections.append(time_series_section(explanations["asymmetric_shapley_value"], context.time_series))
    from analyzer.report.segments import segment_sections  # segment_config results (analyzer.segments)

    sections.extend(segment_sections(analysis))
    if context.checks is not None:
        from analyzer.report.checks import checks_section  # it builds on this module's blocks

        sections.append(checks_section(context.checks))
    sections.append(_glossary())
    return Report(title=title, generated=context.generated, tool_version=context.tool_version,
                  sections=tuple(sections))
