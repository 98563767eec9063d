"""Extension ``ft_encoding``: FlipTest on one-hot / ordinal encoded non-numeric features.

The reference computation is independent of analyzer.bias.flip: pandas' get_dummies (or
factorize) builds the encoded frame, scikit-learn's KNeighborsClassifier (the spec's
parameters) predicts d from a, and FT is counted from the spec's formula.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier

from analyzer.bias import FacetSpec, bias_section
from analyzer.bias.flip import FT_ENCODINGS, encoded_features
from analyzer.config.schema import load_schema, schema_problems

LABEL, PRED, FACET = "Target", "predicted_label", "Sex"


def ft_by_hand(encoded: pd.DataFrame, facet: np.ndarray, pred: np.ndarray) -> float:
    x = encoded.to_numpy(dtype=float)
    x_a, x_d, y_a, y_d = x[~facet], x[facet], pred[~facet], pred[facet]
    knn = KNeighborsClassifier(n_neighbors=5 if len(x_a) > 9 else 1, weights="uniform", algorithm="auto",
                               leaf_size=30, p=2, metric="minkowski").fit(x_a, y_a)
    knn_d = knn.predict(x_d).astype(bool)
    return (np.count_nonzero(y_d & ~knn_d) - np.count_nonzero(~y_d & knn_d)) / len(x_d)


def ft_value(section: dict, facet: str = FACET) -> dict:
    (entry,) = section["facets"][facet]
    return next(m for m in entry["metrics"] if m["name"] == "FT")


def test_one_hot_and_ordinal_by_hand():
    frame = pd.DataFrame({
        "n": [1.5, 2.0, 3.0, 4.0],
        "c": ["b", "a", None, "b"],
        "flag": [True, False, True, False],
        "mixed": pd.Series([1, "x", 1, "x"], dtype=object),   # mixed types sort as text
    })
    one_hot = encoded_features(frame, "one_hot")
    # n | c=a c=b (missing: all 0) | flag | mixed=1 mixed=x
    assert one_hot.tolist() == [
        [1.5, 0, 1, 1, 1, 0],
        [2.0, 1, 0, 0, 0, 1],
        [3.0, 0, 0, 1, 1, 0],
        [4.0, 0, 1, 0, 0, 1],
    ]
    ordinal = encoded_features(frame, "ordinal")
    assert ordinal.tolist() == [[1.5, 1, 1, 0], [2.0, 0, 0, 1], [3.0, -1, 1, 0], [4.0, 1, 0, 1]]
    with pytest.raises(ValueError, match="unknown ft_encoding"):
        encoded_features(frame, "target")


def test_too_wide_an_encoding_is_an_ft_error_not_a_crash(monkeypatch):
    from analyzer.bias import flip

    monkeypatch.setattr(flip, "MAX_ENCODED_BYTES", 8 * 4 * 3)   # 4 rows x 3 columns fit, 4 do not
    frame = pd.DataFrame({"s": ["F", "M", "F", "M"], "y": ["yes", "no", "yes", "no"], "p": ["yes", "yes", "no", "no"],
                          "id": ["a", "b", "c", "d"]})
    with pytest.raises(ValueError, match="4 rows x 4 columns"):
        encoded_features(frame[["id"]], "one_hot")
    assert encoded_features(frame[["id"]], "ordinal").shape == (4, 1)
    section = bias_section(frame, stage="post_training", label="y", label_values=["yes"],
                           facets=[FacetSpec("s", ["F"])], predicted_label="p", methods=["FT", "DPPL"],
                           ft_encoding="one_hot")
    assert "use ordinal or exclude high-cardinality columns" in ft_value(section, "s")["error"]
    dppl = next(m for m in section["facets"]["s"][0]["metrics"] if m["name"] == "DPPL")
    assert dppl["value"] == 0.0


@pytest.fixture(scope="module")
def adult(datasets) -> pd.DataFrame:
    """3000 rows of Adult's test split with a deterministic, non-trivial predicted label."""
    frame = pd.read_csv(datasets / "adult" / "adult_test.csv").head(3000)
    rich = (frame["Capital Gain"] > 5000) | ((frame["Education-Num"] >= 13) & (frame["Hours per week"] >= 45))
    frame[PRED] = np.where(rich, ">50K", "<=50K")
    return frame


def _section(frame: pd.DataFrame, encoding: str | None) -> dict:
    return bias_section(frame, stage="post_training", label=LABEL, label_values=[">50K"],
                        facets=[FacetSpec(FACET, ["Female"])], predicted_label=PRED, methods=["FT", "DPPL"],
                        ft_encoding=encoding)


@pytest.mark.parametrize("encoding", FT_ENCODINGS)
def test_adult_ft_equals_the_encoded_frame_by_hand(adult, encoding):
    features = adult.drop(columns=[FACET, LABEL, PRED])
    if encoding == "one_hot":
        encoded = pd.get_dummies(features, dtype=float)   # NaN -> all-zero dummies, values sorted
    else:
        encoded = features.apply(lambda s: s if pd.api.types.is_numeric_dtype(s)
                                 else pd.Series(pd.factorize(s, sort=True)[0], index=s.index))
    assert encoded.isna().sum().sum() == 0
    facet = (adult[FACET] == "Female").to_numpy()
    pred = (adult[PRED] == ">50K").to_numpy()
    expected = ft_by_hand(encoded, facet, pred)
    result = ft_value(_section(adult, encoding))
    assert "error" not in result
    assert result["value"] == pytest.approx(expected, abs=1e-12)
    assert expected != 0.0    # the check can fail: FT is informative on this data


def test_without_the_key_clarify_error_stays(adult):
    result = ft_value(_section(adult, None))
    assert result["value"] is None and result["error"] == "FlipTest does not support non-numeric columns"


def test_all_numeric_features_ignore_the_encoding(adult):
    numeric = adult[[FACET, LABEL, PRED, "Age", "Education-Num", "Hours per week"]]
    assert ft_value(_section(numeric, "one_hot")) == ft_value(_section(numeric, None))


def test_schema_accepts_exactly_the_encodings():
    node = load_schema()["properties"]["methods"]["properties"]["post_training_bias"]["properties"]["ft_encoding"]
    assert tuple(node["enum"]) == FT_ENCODINGS
    base = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "s"}], "predicted_label": "p"}
    good = {**base, "methods": {"post_training_bias": {"methods": "all", "ft_encoding": "one_hot"}}}
    bad = {**base, "methods": {"post_training_bias": {"methods": "all", "ft_encoding": "target"}}}
    assert schema_problems(good) == []
    assert "$.methods.post_training_bias.ft_encoding" in " ".join(schema_problems(bad))


@pytest.mark.slow     # writes the reports (~10 s)
def test_job_passes_the_key_through(run_job):
    rows = ["s,c,x,y,p"] + [f"{'F' if i % 3 == 0 else 'M'},{'abc'[i % 3]},{i % 7},{int(i % 4 == 0)},"
                             f"{int(i % 5 < 2)}" for i in range(60)]
    config = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "s", "value_or_threshold": ["F"]}], "predicted_label": "p",
              "methods": {"post_training_bias": {"methods": ["FT"], "ft_encoding": "one_hot"},
                          "report": {"name": "r"}}}
    result = run_job(config, "\n".join(rows) + "\n")
    assert result.code == 0, result.stderr
    value = ft_value(result.analysis["post_training_bias_metrics"], "s")
    frame = pd.read_csv(result.base / "processing" / "input" / "data" / "data.csv")
    encoded = pd.get_dummies(frame[["c", "x"]], dtype=float)
    assert value["value"] == pytest.approx(ft_by_hand(encoded, (frame.s == "F").to_numpy(),
                                                      (frame.p == 1).to_numpy()))
    assert json.loads((result.output / "analysis_config.json").read_text())["methods"]["post_training_bias"][
        "ft_encoding"] == "one_hot"
