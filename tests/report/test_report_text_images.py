"""The report's text explanations (global_top_shap_text per label and feature) and image explanations
(a table and the heat maps, embedded)."""
from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image

from analyzer.report import ReportContext, build_report
from analyzer.report.blocks import Chart, Table, Text
from analyzer.report.images import MAX_HEAT_MAPS


def _jpeg(width: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((20, width, 3), 90, np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_text_units_are_charted_per_label_and_feature_and_an_empty_tabular_chart_is_left_out() -> None:
    analysis = {"version": "1.0", "explanations": {"kernel_shap": {
        "label0": {"global_shap_values": {}, "expected_value": 0.4,
                   "global_top_shap_text": {"Review": {"love": 0.3, "awful": 0.2, "fit": 0.01}}},
        "label1": {"global_shap_values": {"Age": 0.1}, "expected_value": 0.6,
                   "global_top_shap_text": {"Review": {}}}}}}
    report = build_report(analysis, ReportContext(), "T")
    captions = [c.caption for c in report.blocks(Chart)]
    assert captions == ["Top text units, Review, output label0", "Global SHAP values, output label1"]
    chart = report.blocks(Chart)[0].svg
    assert all(token in chart for token in ("love", "awful", "fit"))
    assert any("no units with attributions for output label1" in t.text for t in report.blocks(Text))


def test_image_explanations_show_a_table_and_embedded_heat_maps() -> None:
    images = [{"image": f"im{i}.png", "segments": 9, "predicted_label": "cat", "score": 0.9,
               "expected_value": 0.1, "shap_values": [0.1] * 9, "heat_map": f"shap_im{i}.jpeg"}
              for i in range(MAX_HEAT_MAPS + 2)]
    analysis = {"version": "1.0", "explanations": {"image_kernel_shap": {
        "model_type": "IMAGE_CLASSIFICATION", "num_segments": 10, "segment_compactness": 5.0,
        "baseline": "white noise (seed 0)", "images": images}}}
    files = {f"shap_im{i}.jpeg": _jpeg(900 if i == 0 else 40) for i in range(MAX_HEAT_MAPS + 2)}
    report = build_report(analysis, ReportContext(images=tuple(files.items())), "T")
    (table,) = [t for t in report.blocks(Table) if t.caption == "Explained images"]
    assert len(table.rows) == MAX_HEAT_MAPS + 2 and table.rows[0][2].text == "cat (0.9)"
    charts = [c for c in report.blocks(Chart) if c.kind == "image"]
    assert len(charts) == MAX_HEAT_MAPS
    data = re.search(r'href="data:image/jpeg;base64,([^"]+)"', charts[0].svg).group(1)
    with Image.open(io.BytesIO(base64.b64decode(data))) as shown:
        assert shown.width == 640   # large heat maps are shrunk for the report
    assert any("2 more heat map(s)" in t.text for t in report.blocks(Text))


def test_detection_rows_list_the_objects() -> None:
    analysis = {"version": "1.0", "explanations": {"image_kernel_shap": {
        "model_type": "OBJECT_DETECTION", "images": [
            {"image": "a.jpg", "segments": 12, "detections": 3, "objects": [
                {"label": "dog", "score": 0.97, "heat_map": "shap_a_box1.jpeg"}]},
            {"image": "b.jpg", "segments": 12, "detections": 0, "objects": []}]}}}
    report = build_report(analysis, ReportContext(images=(("shap_a_box1.jpeg", _jpeg(30)),)), "T")
    (table,) = [t for t in report.blocks(Table) if t.caption == "Explained images"]
    assert [r[2].text for r in table.rows] == ["dog (0.97)", "none"]
    assert [c.caption for c in report.blocks(Chart) if c.kind == "image"] == ["Heat map shap_a_box1.jpeg"]
