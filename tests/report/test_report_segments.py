"""The report's Segments section: a per-segment table and chart from analysis.json's ``segments``."""
from __future__ import annotations

from analyzer.report.context import ReportContext
from analyzer.report.document import Chart, Table, build_report
from analyzer.report.segments import segment_sections


def _stage(value: float, name: str = "DPPL", error: str | None = None) -> dict:
    metric = {"name": name, "description": name, "value": None if error else value}
    if error:
        metric["error"] = error
    return {"label": "y", "facets": {"sex": [{"value_or_threshold": "female", "metrics": [metric]}]},
            "label_value_or_threshold": "1"}


def _shap(values: dict) -> dict:
    return {"kernel_shap": {"label0": {"global_shap_values": values, "expected_value": 0.4}}}


SEGMENTS = [{"config_name": "age bands", "name_or_index": "age", "column": "age", "segments": [
    {"name": "young", "values": ["[18, 30]"], "num_rows": 120, "post_training_bias_metrics": _stage(0.25),
     "explanations": _shap({"age": 0.3, "duration": 0.1})},
    {"name": "older", "values": None, "num_rows": 80, "post_training_bias_metrics": _stage(0, error="no positives"),
     "explanations": _shap({"age": 0.05, "duration": 0.2})},
    {"name": "__default__", "values": None, "num_rows": 0, "error": "No rows in this segment."},
]}]


def test_segments_section_has_a_table_row_per_segment_and_a_chart():
    (section,) = segment_sections({"segments": SEGMENTS})
    table = next(b for b in section.blocks if isinstance(b, Table))
    assert table.columns == ("Segment", "Rows", "Facet", "post DPPL")
    texts = [[c.text for c in row] for row in table.rows]
    assert texts[0] == ["young", "120", "sex = female", "0.25"]
    assert texts[1][0] == "older" and texts[1][3] == "error"
    assert texts[2][:3] == ["__default__", "0", "No rows in this segment."]
    chart = next(b for b in section.blocks if isinstance(b, Chart))
    assert "Global SHAP values per segment of age" in chart.caption and chart.svg.startswith("<svg")
    assert "young" in chart.svg and "duration" in chart.svg


def test_bias_only_segments_chart_a_bias_metric():
    items = [{**SEGMENTS[0], "segments": [{k: v for k, v in s.items() if k != "explanations"}
                                          for s in SEGMENTS[0]["segments"]]}]
    chart = next(b for b in segment_sections({"segments": items})[0].blocks if isinstance(b, Chart))
    assert chart.caption == "post DPPL per segment of age"


def test_no_segments_no_section_and_the_report_hook():
    assert segment_sections({"version": "1.0"}) == []
    report = build_report({"version": "1.0", "segments": SEGMENTS}, ReportContext(), "t")
    assert [s.id for s in report.sections][-2:] == ["segments", "glossary"]
    assert "segments" not in [s.id for s in build_report({"version": "1.0"}, ReportContext(), "t").sections]
