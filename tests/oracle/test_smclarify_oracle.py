"""Our bias metrics against smclarify 0.5 (what Clarify runs) on real datasets.

Every metric value must agree to 1e-9 (relative), errors word for word, and the
value_or_threshold / label texts exactly. Our side reads the CSVs as pandas 3 builds them
(string dtype); smclarify gets object-dtype copies (it cannot read the string dtype).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from smclarify_oracle import as_object, assert_same, data_dir, smclarify_section

from analyzer.bias import FacetSpec, bias_section
from analyzer.bias.stats import bias_basic_stats, model_performance_report
from analyzer.errors import AnalyzerError

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module")
def data():
    return data_dir()


@pytest.fixture(scope="module")
def adult(data):
    df = pd.read_csv(data / "adult" / "adult_train.csv")
    # a deterministic stand-in for a model
    df["pred"] = np.where((df["Education-Num"] >= 13) | (df["Capital Gain"] > 5000), ">50K", "<=50K")
    return df


@pytest.fixture(scope="module")
def compas(data):
    df = pd.read_csv(data / "compas" / "compas-scores-two-years.csv")
    df = df.loc[:, ~df.columns.duplicated()]
    out = df[["age", "priors_count", "juv_fel_count", "juv_misd_count", "race", "sex", "age_cat",
              "two_year_recid", "decile_score"]].copy()
    out["pred"] = (out["decile_score"] > 5).astype(int)
    out["age_years"] = out["age"].astype(float)  # float: Clarify reads it as continuous
    return out


@pytest.fixture(scope="module")
def german_csv(data):
    df = pd.read_csv(data / "german" / "german.csv")
    df["pred"] = ((df["credit_amount"] < 4000) & (df["duration"] < 30)).astype(int)
    return df


@pytest.fixture(scope="module")
def german_data(data):
    df = pd.read_csv(data / "german" / "german.data", sep=" ", header=None)
    df.columns = [f"A{i + 1}" for i in range(21)]  # A13 = age, A9 = personal status/sex, A21 = class
    df["pred"] = np.where(df["A5"] < 3000, 1, 2)
    return df


def compare(frame, facets, **kw):
    """Run both stages through both implementations and compare; returns #values compared."""
    n = 0
    for stage in ("pre_training", "post_training"):
        k = dict(kw, stage=stage)
        if stage == "pre_training":
            k.pop("predicted_label", None)
        elif "predicted_label" not in k:
            continue
        ours = bias_section(frame, facets=[FacetSpec(name, tuple(v) if v else None) for name, v in facets], **k)
        theirs = smclarify_section(frame, facets=facets, **k)
        n += assert_same(ours, theirs)
    # At least one facet entry per facet, with every metric of each stage run: a comparison that
    # silently compared nothing (or dropped a stage) fails here.
    per_entry = 8 + (13 if "predicted_label" in kw else 0)
    assert n >= len(facets) * per_entry, (n, len(facets), per_entry)
    return n


@pytest.mark.slow  # tens of seconds on a loaded 2-core machine
def test_adult_categorical_facets(adult):
    # Education (a string column) stays among the features -> FT reports the non-numeric error.
    frame = adult[["Age", "fnlwgt", "Education-Num", "Capital Gain", "Hours per week", "Sex",
                   "Ethnic group", "Target", "pred", "Education"]]
    n = compare(frame, [("Sex", ["Female"]), ("Ethnic group", None), ("Age", [40])],
                label="Target", label_values=[">50K"], predicted_label="pred", group_variable="Education")
    assert n == 7 * (8 + 13)  # Sex, 5 races, Age == 40 (categorical on Adult)


def test_adult_flip_test_numeric(adult):
    frame = adult[["Age", "Education-Num", "Hours per week", "Sex", "Target", "pred"]]
    compare(frame, [("Sex", ["Male"])], label="Target", label_values=[">50K"], predicted_label="pred",
            group_variable="Education-Num")


def test_adult_group_with_missing_values(adult):
    # Occupation has missing values. smclarify sorts the raw values (np.unique) and fails with
    # "'<' not supported between instances of 'str' and 'float'"; the spec says missing groups
    # drop out, which is exactly smclarify's result on float group codes with NaN kept.
    frame = adult[["Sex", "Target", "pred", "Occupation"]].copy()
    ours = bias_section(frame, stage="pre_training", label="Target", label_values=[">50K"],
                        facets=[FacetSpec("Sex", ("Female",))], group_variable="Occupation")
    codes, _ = pd.factorize(frame["Occupation"], sort=True)
    frame["occ_code"] = np.where(codes < 0, np.nan, codes.astype(float))
    theirs = smclarify_section(frame, stage="pre_training", label="Target", label_values=[">50K"],
                               facets=[("Sex", ["Female"])], group_variable="occ_code")
    assert assert_same(ours, theirs) == 8


def test_compas(compas):
    frame = compas[["age", "priors_count", "juv_fel_count", "age_years", "race", "sex", "two_year_recid",
                    "pred", "age_cat"]]
    compare(frame, [("race", None), ("sex", ["Female"]), ("age_years", [45])],
            label="two_year_recid", label_values=[1], predicted_label="pred", group_variable="age_cat")
    numeric = frame.drop(columns=["age_cat", "sex"])
    compare(numeric, [("race", ["African-American", "Hispanic"]), ("age_years", [30])],
            label="two_year_recid", label_values=[1], predicted_label="pred", group_variable="juv_fel_count")


def test_compas_continuous_label(compas):
    # float label and prediction -> continuous: positive means priors_count > 3, and the
    # prediction interval's max is taken over both columns.
    frame = pd.DataFrame({
        "race": compas["race"], "age": compas["age"],
        "priors": compas["priors_count"].astype(float),
        "score": (compas["decile_score"] * 1.5).astype(float),
    })
    compare(frame, [("race", ["Caucasian"])], label="priors", label_values=[3], predicted_label="score",
            group_variable="age")


def test_german_csv(german_csv):
    frame = german_csv[["age", "credit_amount", "duration", "job", "sex", "risk", "pred", "purpose"]]
    compare(frame, [("age", [40]), ("sex", ["female"]), ("job", None)],  # age > 40: "(40, 75]"
            label="risk", label_values=[1], predicted_label="pred", group_variable="purpose")
    compare(frame.drop(columns=["purpose", "sex"]), [("age", [40]), ("job", [0, 1])],
            label="risk", label_values=[1], predicted_label="pred", group_variable="job")


def test_german_csv_continuous_label_and_mismatch(german_csv):
    frame = german_csv[["age", "sex", "credit_amount", "duration"]].copy()
    frame["predicted_amount"] = frame["credit_amount"] + (frame["duration"] * 7) % 500 - 200
    compare(frame, [("sex", ["male"])], label="credit_amount", label_values=[4000],
            predicted_label="predicted_amount", group_variable="duration")
    # duration has 33 distinct values in 1000 rows: categorical, while the label is continuous
    with pytest.raises(AnalyzerError) as ours:
        bias_section(frame, stage="post_training", label="credit_amount", label_values=[4000],
                     predicted_label="duration", facets=[FacetSpec("sex", ("male",))])
    with pytest.raises(ValueError) as theirs:
        smclarify_section(frame, stage="post_training", label="credit_amount", label_values=[4000],
                          predicted_label="duration", facets=[("sex", ["male"])])
    assert str(ours.value) == str(theirs.value)


def test_german_data(german_data):
    frame = german_data[["A2", "A5", "A13", "A9", "A21", "pred", "A20", "A1"]]
    compare(frame, [("A13", [40]), ("A9", ["A92"]), ("A20", None)],
            label="A21", label_values=[1], predicted_label="pred", group_variable="A1")
    compare(german_data[["A2", "A5", "A13", "A8", "A21", "pred"]], [("A13", [25]), ("A8", None)],
            label="A21", label_values=[1], predicted_label="pred", group_variable="A8")


def test_basic_stats_and_model_performance(adult, german_csv):
    from smclarify.bias.report import FacetColumn, LabelColumn, StageType
    from smclarify.bias.report import bias_basic_stats as their_stats
    from smclarify.bias.report import model_performance_report as their_performance

    for frame, label, values, facet, facet_values in (
        (adult, "Target", [">50K"], "Ethnic group", None),
        (german_csv, "risk", [1], "age", [40]),
    ):
        df = as_object(frame)
        for stage, stage_type in (("pre_training", StageType.PRE_TRAINING), ("post_training", StageType.POST_TRAINING)):
            theirs = their_stats(df, FacetColumn(facet, facet_values), LabelColumn(label, df[label], values),
                                 stage_type, LabelColumn("pred", df["pred"]))
            ours = bias_basic_stats(frame, stage=stage, label=label, label_values=values, predicted_label="pred",
                                    facets=[FacetSpec(facet, tuple(facet_values) if facet_values else None)])
            assert ours[facet] == theirs
        theirs = their_performance(df, LabelColumn(label, df[label], values), LabelColumn("pred", df["pred"]))
        ours = model_performance_report(frame, label=label, label_values=values, predicted_label="pred")
        assert ours == theirs


def test_whole_report_error_no_predicted_positives(adult):
    frame = adult[["Sex", "Target"]].copy()
    frame["pred"] = "<=50K"
    with pytest.raises(AnalyzerError) as ours:
        bias_section(frame, stage="post_training", label="Target", label_values=[">50K"], predicted_label="pred",
                     facets=[FacetSpec("Sex", ("Female",))])
    with pytest.raises(ValueError) as theirs:
        smclarify_section(frame, stage="post_training", label="Target", label_values=[">50K"],
                          predicted_label="pred", facets=[("Sex", ["Female"])])
    assert str(ours.value) == str(theirs.value)
