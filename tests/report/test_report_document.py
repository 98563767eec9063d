"""The report model: sections from the analysis, readings per metric, errors shown as errors."""
from __future__ import annotations

import math

import pytest
from report_fixtures import POST, PRE, adult_analysis, context, local_shap

from analyzer.config.model import POST_TRAINING_METRICS, PRE_TRAINING_METRICS
from analyzer.report import ReportContext, build_report
from analyzer.report.document import Chart, Table, Text, format_number
from analyzer.report.readings import READINGS, UNKNOWN, reading


def test_every_clarify_metric_has_a_reading() -> None:
    for name in PRE_TRAINING_METRICS + POST_TRAINING_METRICS:
        assert reading(name) is not UNKNOWN, name
    assert reading("DI").concern.startswith("Ideal 1")
    assert all(reading(n).concern.startswith("Ideal 0") for n in READINGS if n != "DI")


@pytest.mark.parametrize("value, text", [(None, "—"), (0, "0"), (0.123456, "0.1235"), (-1e-5, "-1e-05"),
                                         (math.inf, "Infinity"), ("Infinity", "Infinity"), (math.nan, "NaN")])
def test_format_number(value: object, text: str) -> None:
    assert format_number(value) == text


def test_sections_follow_the_analysis() -> None:
    report = build_report(adult_analysis(), context(local_shap(100)), "T")
    assert [s.id for s in report.sections] == ["summary", "overview", "dataset", "pre-training-bias",
                                               "post-training-bias", "model-performance", "explanations", "glossary"]
    metrics = [t for t in report.blocks(Table) if t.kind == "metrics"]
    assert [t.caption for t in metrics] == ["Sex = Female", "Age = (40, 90]"] * 2
    assert [len(t.rows) for t in metrics] == [len(PRE)] * 2 + [len(POST)] * 2
    per_facet = ["bias-rates", "bias-metrics"]     # Sex and Age, in each bias section
    assert [c.kind for c in report.blocks(Chart)] == per_facet * 4 + ["shap-bar", "shap-local", "pdp", "pdp"]


def test_metric_rows_show_values_readings_and_errors() -> None:
    report = build_report(adult_analysis(), ReportContext(), "T")
    table = next(t for t in report.blocks(Table) if t.kind == "metrics")
    rows = {row[0].text: row for row in table.rows}
    cddl = rows["CDDL"]
    assert (cddl[2].text, cddl[2].kind) == ("error", "error")
    assert cddl[3].text == "Not computed: Group variable is empty or not provided"
    assert rows["DPL"][3].text.startswith("Positive-label rate of a minus that of d")
    post = [t for t in report.blocks(Table) if t.kind == "metrics"][2]
    assert {r[0].text: r[2].text for r in post.rows}["TE"] == "Infinity"


def test_minimal_analysis_still_has_overview_and_glossary() -> None:
    report = build_report({"version": "1.0"}, ReportContext(generated="now"), "Only")
    assert [s.id for s in report.sections] == ["summary", "overview", "glossary"]


def test_shap_warnings_from_context_and_diagnostics_once_each() -> None:
    analysis = adult_analysis()
    analysis["explanations"]["kernel_shap"]["label0"]["analyzer_diagnostics"]["warnings"].append(
        "SHAP values for 12 rows did not converge.")
    report = build_report(analysis, context(), "T")
    [section] = [s for s in report.sections if s.id == "explanations"]
    warnings = [b.text for b in section.blocks if isinstance(b, Text) and b.kind == "warning"]
    assert warnings == ["SHAP values for 12 rows did not converge.", "Estimated SHAP error is large for 3 rows."]


def test_local_chart_for_each_output_of_a_two_output_model() -> None:
    analysis = adult_analysis(features=["a", "b"])
    block = analysis["explanations"]["kernel_shap"]["label0"]
    analysis["explanations"]["kernel_shap"] = {"yes": block, "no": block}
    local = local_shap(50, ["a", "b"])
    local.columns = ["a_yes", "b_yes"]
    local[["a_no", "b_no"]] = local[["a_yes", "b_yes"]].to_numpy()
    charts = build_report(analysis, ReportContext(local_shap=local), "T").blocks(Chart)
    assert [c.caption for c in charts if c.kind.startswith("shap")] == [
        "Global SHAP values, output yes", "Local SHAP values, output yes",
        "Global SHAP values, output no", "Local SHAP values, output no"]


def _only(*keys: str) -> dict:
    analysis = adult_analysis()
    return {"version": "1.0", **{k: analysis[k] for k in keys}}


@pytest.mark.parametrize("keys", [
    ("pre_training_bias_metrics",),
    ("post_training_bias_metrics",),
    ("explanations",),
    ("post_training_bias_metrics", "pre_training_bias_metrics", "explanations"),
])
def test_every_analysis_section_has_charts(keys: tuple[str, ...]) -> None:
    report = build_report(_only(*keys), context(local_shap(50)), "T")
    ids = {"pre_training_bias_metrics": "pre-training-bias", "post_training_bias_metrics": "post-training-bias",
           "explanations": "explanations"}
    for key in keys:
        [section] = [s for s in report.sections if s.id == ids[key]]
        kinds = [b.kind for b in section.blocks if isinstance(b, Chart)]
        if key == "explanations":
            assert kinds[:2] == ["shap-bar", "shap-local"] and kinds.count("pdp") == 2
        else:   # each facet: rates per group, then the metric chart of its one value
            assert kinds == ["bias-rates", "bias-metrics"] * 2, kinds
            assert all(b.svg.startswith("<svg") for b in section.blocks if isinstance(b, Chart))
    assert report.sections[0].id == "summary"


def test_bias_charts_without_group_statistics_still_show_the_metrics() -> None:
    report = build_report(_only("pre_training_bias_metrics"), ReportContext(), "T")
    assert [c.kind for c in report.blocks(Chart)] == ["bias-metrics"] * 2


def test_many_facet_values_chart_only_the_farthest() -> None:
    analysis = _only("pre_training_bias_metrics")
    entries = analysis["pre_training_bias_metrics"]["facets"]["Sex"]
    template = entries[0]["metrics"]
    analysis["pre_training_bias_metrics"]["facets"] = {"Country": [
        {"value_or_threshold": f"c{i}", "metrics": [{**m, "value": (0.5 if i in (7, 30) else 0.0)
                                                    if m["value"] is not None else None} for m in template]}
        for i in range(40)]}
    report = build_report(analysis, ReportContext(), "T")
    charts = report.blocks(Chart)
    assert len(charts) == 6   # MAX_METRIC_CHARTS
    captions = [c.caption.split(":")[0] for c in charts]
    assert "Country = c7" in captions and "Country = c30" in captions
    assert any("6 of 40 values of Country" in t.text for t in report.blocks(Text))
    assert len([t for t in report.blocks(Table) if t.kind == "metrics"]) == 40


def test_shap_standard_errors_are_shown() -> None:
    analysis = _only("explanations")
    block = analysis["explanations"]["kernel_shap"]["label0"]
    block["analyzer_diagnostics"]["global_shap_standard_errors"] = {f: 0.001 for f in block["global_shap_values"]}
    report = build_report(analysis, ReportContext(), "T")
    [table] = [t for t in report.blocks(Table) if t.caption.startswith("Top global SHAP values with standard errors")]
    assert table.rows[0][2].text == "0.001" and len(table.rows) == 14
    top, value = max(block["global_shap_values"].items(), key=lambda kv: abs(kv[1]))
    assert table.rows[0][0].text == top and table.rows[0][3].text == (
        f"[{format_number(value - 0.002)}, {format_number(value + 0.002)}]")
