"""bias_section: shape, order, descriptions, errors and the inference warnings."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analyzer.bias import FacetSpec, bias_section
from analyzer.errors import AnalysisError, ConfigError, DataError

DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "TE": "Treatment Equality (TE)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
}


def frame(string_dtype=True) -> pd.DataFrame:
    # 12 rows; labels/predictions are strings so the label is categorical
    df = pd.DataFrame({
        "sex": ["F", "M", "M", "F", "M", "X", "F", "M", "M", "M", "F", "M"],
        "age": [20, 30, 40, 50, 60, 70, 25, 35, 45, 55, 65, 75],
        "y": ["yes", "no", "yes", "no", "yes", "no", "no", "yes", "no", "yes", "no", "yes"],
        "yhat": ["yes", "no", "no", "no", "yes", "yes", "no", "yes", "yes", "yes", "yes", "no"],
        "grp": [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2],
    })
    if not string_dtype:
        df = df.astype({c: object for c in ("sex", "y", "yhat")})
    return df


def pre(df, facets, **kw):
    return bias_section(df, stage="pre_training", label="y", label_values=["yes"], facets=facets,
                        group_variable="grp", **kw)


def post(df, facets, **kw):
    kw.setdefault("group_variable", "grp")
    return bias_section(df, stage="post_training", label="y", label_values=["yes"], facets=facets,
                        predicted_label="yhat", ft_exclude=["sex_code"], **kw)


def test_shape_order_and_descriptions():
    out = pre(frame(), [FacetSpec("sex", ("F",))])
    assert list(out) == ["label", "facets", "label_value_or_threshold"]
    assert out["label"] == "y" and out["label_value_or_threshold"] == "yes"
    (entry,) = out["facets"]["sex"]
    assert list(entry) == ["value_or_threshold", "metrics"] and entry["value_or_threshold"] == "F"
    names = [m["name"] for m in entry["metrics"]]
    assert names == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    out = post(frame(), [FacetSpec("sex", ("F",))])
    names = [m["name"] for m in out["facets"]["sex"][0]["metrics"]]
    assert names == ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]
    for section in (pre(frame(), [FacetSpec("sex", ("F",))]), out):
        for m in section["facets"]["sex"][0]["metrics"]:
            assert list(m)[:3] == ["name", "description", "value"]
            assert m["description"] == DESCRIPTIONS[m["name"]]
    json.dumps(out, allow_nan=False)


def test_values_match_hand_computation():
    # F rows: 0, 3, 6, 10 -> n_d = 4, labels yes,no,no,no -> q_d = 1/4; a: 8 rows, 5 yes -> q_a = 5/8
    out = pre(frame(), [FacetSpec("sex", ("F",))], methods=["CI", "DPL"])
    values = {m["name"]: m["value"] for m in out["facets"]["sex"][0]["metrics"]}
    assert values == pytest.approx({"CI": (8 - 4) / 12, "DPL": 5 / 8 - 1 / 4})


def test_string_and_object_dtypes_agree():
    for stage in (pre, post):
        assert stage(frame(True), [FacetSpec("sex")]) == stage(frame(False), [FacetSpec("sex")])


def test_one_vs_rest_in_order_of_first_appearance():
    out = pre(frame(), [FacetSpec("sex")])
    assert [e["value_or_threshold"] for e in out["facets"]["sex"]] == ["F", "M", "X"]
    out = pre(frame(), [FacetSpec("sex", ())])
    assert [e["value_or_threshold"] for e in out["facets"]["sex"]] == ["F", "M", "X"]


def test_nan_facet_value_gets_an_empty_group_entry():
    df = frame()
    df.loc[1, "sex"] = None
    out = pre(df, [FacetSpec("sex")], methods=["CI"])
    entries = out["facets"]["sex"]
    assert [e["value_or_threshold"] for e in entries] == ["F", "nan", "M", "X"]
    assert entries[1]["metrics"][0]["error"] == "CI: facet set is empty. Check that x[facet] has non-zero length."


def test_multiple_values_are_one_group():
    out = pre(frame(), [FacetSpec("sex", ("F", "X"))], methods=["CI"])
    # F or X: 5 rows of 12 -> CI = (7 - 5) / 12
    assert out["facets"]["sex"][0] == {
        "value_or_threshold": "F,X",
        "metrics": [{"name": "CI", "description": "Class Imbalance (CI)", "value": pytest.approx(2 / 12)}],
    }


def test_continuous_facet_threshold_and_empty_interval():
    # age has 12 distinct of 12 -> continuous; [40] means age > 40: 7 rows
    out = pre(frame(), [FacetSpec("age", (40,))], methods=["CI"])
    assert out["facets"]["age"][0]["value_or_threshold"] == "(40, 75]"
    assert out["facets"]["age"][0]["metrics"][0]["value"] == pytest.approx((5 - 7) / 12)
    out = pre(frame(), [FacetSpec("age", (75,))], methods=["CI"])
    assert out["facets"]["age"][0]["value_or_threshold"] == ""
    assert out["facets"]["age"][0]["metrics"][0]["error"].startswith("CI: facet set is empty")
    out = pre(frame(), [FacetSpec("age", (80,))], methods=["CI"])
    assert out["facets"]["age"][0]["value_or_threshold"] == "(75, 80]"
    # our extension: force categorical -> age == 40
    out = pre(frame(), [FacetSpec("age", (40,), data_type="categorical")], methods=["CI"])
    assert out["facets"]["age"][0]["value_or_threshold"] == "40"
    assert out["facets"]["age"][0]["metrics"][0]["value"] == pytest.approx((11 - 1) / 12)


def test_inference_warnings():
    warnings: list[str] = []
    pre(frame(), [FacetSpec("age", (40,))], methods=["CI"], warnings=warnings)
    assert len(warnings) == 1 and "age > 40" in warnings[0] and '"data_type": "categorical"' in warnings[0]
    # a 0/1 integer label on little data is continuous: [1] means label > 1, nothing
    df = pd.DataFrame({"f": [0, 1, 0, 1], "y": [0, 1, 1, 0]})
    warnings = []
    out = bias_section(df, stage="pre_training", label="y", label_values=[1], facets=[FacetSpec("f", (1,))],
                       methods=["DPL", "KL"], warnings=warnings)
    assert out["label_value_or_threshold"] == ""
    assert any('"label_data_type": "categorical"' in w and "0 rows" in w for w in warnings)
    # forcing categorical gives y == 1
    out = bias_section(df, stage="pre_training", label="y", label_values=[1],
                       facets=[FacetSpec("f", (1,), data_type="categorical")],
                       methods=["DPL"], label_data_type="categorical")
    assert out["label_value_or_threshold"] == "1"
    # f: rows 1,3 are d with labels 1,0 -> q_d = 1/2; a: labels 0,1 -> q_a = 1/2
    assert out["facets"]["f"][0]["metrics"][0]["value"] == 0.0


def test_bool_facet_and_coerced_values():
    df = frame()
    df["flag"] = df["sex"] == "F"
    a = pre(df, [FacetSpec("flag", (True,))], methods=["CI"])
    b = pre(df, [FacetSpec("flag", ("True",))], methods=["CI"])
    assert a["facets"]["flag"][0]["value_or_threshold"] == "True"
    assert a["facets"]["flag"][0]["metrics"] == b["facets"]["flag"][0]["metrics"]
    assert a["facets"]["flag"][0]["metrics"][0]["value"] == pytest.approx((8 - 4) / 12)
    # one-vs-rest on bool
    out = pre(df, [FacetSpec("flag")], methods=["CI"])
    assert [e["value_or_threshold"] for e in out["facets"]["flag"]] == ["True", "False"]


def test_infinity_strings():
    # a has no positive predictions -> DI = q_d / 0 = inf; TE: a has FN but no FP
    df = pd.DataFrame({"f": ["a", "a", "d", "d"], "y": ["p", "p", "p", "n"], "yhat": ["n", "n", "p", "n"]})
    out = bias_section(df, stage="post_training", label="y", label_values=["p"], predicted_label="yhat",
                       facets=[FacetSpec("f", ("d",))], methods=["DI", "TE"])
    values = {m["name"]: m["value"] for m in out["facets"]["f"][0]["metrics"]}
    # TE = FN_d/FP_d - FN_a/FP_a = 0/0 - 2/0 = 0 - inf
    assert values == {"DI": "Infinity", "TE": "-Infinity"}


def test_group_variable_missing_gives_metric_errors():
    out = post(frame(), [FacetSpec("sex", ("F",))], methods=["CDDPL", "AD"], group_variable=None)
    metrics = {m["name"]: m for m in out["facets"]["sex"][0]["metrics"]}
    assert metrics["CDDPL"] == {"name": "CDDPL", "description": DESCRIPTIONS["CDDPL"], "value": None,
                                "error": "Group variable is empty or not provided"}
    assert metrics["AD"]["value"] is not None


def test_flip_test_non_numeric_columns():
    out = post(frame(), [FacetSpec("sex", ("F",))], methods=["FT"])
    # "grp" and "age" are numeric, all string columns are facet/label/prediction -> FT runs
    assert isinstance(out["facets"]["sex"][0]["metrics"][0]["value"], float)
    df = frame()
    df["note"] = "x"
    out = post(df, [FacetSpec("sex", ("F",))], methods=["FT"])
    assert out["facets"]["sex"][0]["metrics"][0]["error"] == "FlipTest does not support non-numeric columns"
    out = bias_section(df, stage="post_training", label="y", label_values=["yes"], predicted_label="yhat",
                       facets=[FacetSpec("sex", ("F",))], methods=["FT"], ft_exclude=["note"])
    assert "error" not in out["facets"]["sex"][0]["metrics"][0]


def test_whole_report_errors():
    df = frame()
    df["never"] = "no"
    with pytest.raises(AnalysisError) as e:
        bias_section(df, stage="post_training", label="y", label_values=["yes"], predicted_label="never",
                     facets=[FacetSpec("sex", ("F",))])
    assert str(e.value) == ("No Label values are present in the predicted Label Column,"
                            "Positive Predicted Index Series contains all False values")
    df["num_pred"] = np.arange(12)  # continuous, the label is categorical
    with pytest.raises(AnalysisError, match="^Predicted Label Column series datatype is not the same as Label"):
        bias_section(df, stage="post_training", label="y", label_values=["yes"], predicted_label="num_pred",
                     facets=[FacetSpec("sex", ("F",))])
    with pytest.raises(AnalysisError, match="^Facet/label value provided must be a single numeric threshold"):
        pre(df, [FacetSpec("age", ("old",))])
    with pytest.raises(AnalysisError, match="^Threshold values must be provided for continuous features$"):
        pre(df, [FacetSpec("age")])
    with pytest.raises(DataError, match="'height'.*available columns.*'sex'"):
        pre(df, [FacetSpec("height", (1,))])
    with pytest.raises(ConfigError, match="Positive label values"):
        bias_section(df, stage="pre_training", label="y", label_values=[], facets=[FacetSpec("sex")])
    with pytest.raises(ConfigError, match="predicted_label"):
        bias_section(df, stage="post_training", label="y", label_values=["yes"], facets=[FacetSpec("sex")])


def test_methods_selection():
    out = pre(frame(), [FacetSpec("sex", ("F",))], methods=["KL", "CI"])
    assert [m["name"] for m in out["facets"]["sex"][0]["metrics"]] == ["CI", "KL"]
    with pytest.raises(ConfigError) as e:
        pre(frame(), [FacetSpec("sex", ("F",))], methods=["CI", "ci", "DPPL"])
    assert "['ci', 'DPPL']" in str(e.value) and "'CDDL'" in str(e.value)


def test_nan_labels_are_negative():
    df = frame()
    df.loc[0, "y"] = None  # an F row that was "yes"
    out = pre(df, [FacetSpec("sex", ("F",))], methods=["DPL"])
    # q_d = 0/4, q_a = 5/8
    assert out["facets"]["sex"][0]["metrics"][0]["value"] == pytest.approx(5 / 8)
