"""Charts: byte-identical for the same input, no dates, distinct ids, size bounded by features."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from report_fixtures import local_shap, pdp_entries

from analyzer.report import charts

VALUES = {f"f{i}": (i - 12) / 100 for i in range(25)}


def test_bar_chart_is_deterministic_and_dateless() -> None:
    first = charts.shap_bar_chart(VALUES, "Global SHAP", "a")
    assert first == charts.shap_bar_chart(VALUES, "Global SHAP", "a")
    assert first.startswith("<svg") and first.rstrip().endswith("</svg>")
    assert "<dc:date>" not in first and "<metadata>" not in first
    assert 'class="chart-svg"' in first and "viewBox" in first


def test_bar_chart_keeps_the_top_20_by_magnitude() -> None:
    svg = charts.shap_bar_chart(VALUES, "Global SHAP", "a")
    shown = [name for name, _ in charts.top_features(VALUES)]
    assert len(shown) == 20 and shown[0] == "f0"           # |-0.12| is the largest
    assert ">f0<" in svg and ">f12<" not in svg            # f12 = 0: among the smallest five, cut


def test_salt_gives_distinct_ids_for_inline_svgs() -> None:
    ids_a = set(re.findall(r'id="([^"]+)"', charts.shap_bar_chart(VALUES, "t", "one")))
    ids_b = set(re.findall(r'id="([^"]+)"', charts.shap_bar_chart(VALUES, "t", "two")))
    assert ids_a and not ids_a & ids_b


def test_beeswarm_size_grows_with_features_not_rows() -> None:
    small = charts.beeswarm_chart(local_shap(2_000), "Local", "s")
    large = charts.beeswarm_chart(local_shap(32_561), "Local", "s")
    assert len(large) < 1.5 * len(small)
    assert "1,500 of 32,561 rows" in large
    assert "<image" in large                                # points are a raster layer
    assert large == charts.beeswarm_chart(local_shap(32_561), "Local", "s")


def test_beeswarm_colours_by_feature_value_when_given() -> None:
    local = local_shap(300).rename(columns=lambda c: c.removesuffix("_label0"))
    features = pd.DataFrame(np.arange(300 * 14).reshape(300, 14), columns=local.columns)
    svg = charts.beeswarm_chart(local, "Local", "c", features=features)
    assert "Feature value" in svg and ">high<" in svg


def test_pdp_charts_numeric_and_categorical() -> None:
    numeric, categorical = pdp_entries(["Age", "Sex"], np.random.default_rng(0))
    assert "Partial dependence on Age" in charts.pdp_chart(numeric, "p1")
    svg = charts.pdp_chart(categorical, "p2")
    assert ">Female<" in svg and ">Male<" in svg


def test_pdp_tolerates_ragged_entries() -> None:
    svg = charts.pdp_chart({"feature_name": "x", "feature_values": [1, 2], "model_predictions": [[0.1]]}, "p")
    assert svg.startswith("<svg")


def _metrics(**values: object) -> list[dict]:
    return [{"name": k, "description": k, "value": v} for k, v in values.items()]


def test_metric_chart_colours_by_band_and_keeps_infinity_on_the_axis() -> None:
    from analyzer.bias.bands import DEFAULT_BANDS
    from analyzer.report import bias_charts

    svg = bias_charts.metric_chart(_metrics(DPL=0.05, CI=0.4, TE="Infinity", AD=None, DI=0.5), DEFAULT_BANDS,
                                   "Sex = F", "m")
    assert svg == bias_charts.metric_chart(_metrics(DPL=0.05, CI=0.4, TE="Infinity", AD=None, DI=0.5),
                                           DEFAULT_BANDS, "Sex = F", "m")
    texts = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)<", svg)]
    assert {"Infinity", "not computed", "0.5", "0.4", "0.05", "DI"} <= set(texts)
    # CI 0.4, TE and DI 0.5 lie outside their bands (red); DPL 0.05 inside (blue); one band per row.
    fills = re.findall(r"fill: ?(#[0-9a-f]+)", svg)
    assert fills.count(charts.RED) == 3 and fills.count(charts.BLUE) == 1 and fills.count(charts.BAND) == 5
    assert "ratio (neutral 1, log scale)" in texts
    pre = bias_charts.metric_chart(_metrics(DPL=0.05, CI=0.01), DEFAULT_BANDS, "t", "p")
    assert "log scale" not in pre and charts.RED not in pre


def test_rates_chart_names_the_rest_for_one_group_and_caps_many() -> None:
    from analyzer.bias import GroupStats
    from analyzer.report import bias_charts

    one = GroupStats("Sex", "F", 30, 0.3, 0.2, rest_rows=70, rest_positive_label_rate=0.5)
    svg = bias_charts.rates_chart("Sex", [one], "r")
    texts = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)<", svg)]
    assert {"F", "not F", "20.0%", "50.0%"} <= set(texts) and "prediction" not in svg
    many = [GroupStats("C", f"c{i}", 10 + i, 0.01, 0.1) for i in range(40)]
    svg = bias_charts.rates_chart("C", many, "r")
    texts = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)<", svg)]
    assert any("25 largest of 40 groups" in t for t in texts) and "c39" in texts and "c0" not in texts
