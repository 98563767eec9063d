"""Clarify's column-type inference, value coercion and threshold intervals."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from analyzer.bias.columns import (
    CategoricalColumn,
    SelectionError,
    convert_values,
    infer_kind,
    numeric_threshold,
    threshold_interval,
)


@pytest.mark.parametrize(
    "series, values, kind",
    [
        (pd.Series([0, 1, 0, 1]), [1], "continuous"),               # uniqueness 2/4 = 0.5 >= 0.05
        (pd.Series([0, 1] * 50), [1], "categorical"),               # 2/100 = 0.02
        (pd.Series([0, 1, 0, 1]), [0, 1], "categorical"),           # more than one value
        (pd.Series([0.0, 1.0] * 50), [1.0], "continuous"),          # float: always continuous
        (pd.Series(["1", "2", "3"], dtype=object), [2], "continuous"),   # castable to int, 3/3
        (pd.Series(["1", "2", "3"]), [2], "continuous"),                 # same with str dtype
        (pd.Series(["1.5", "2", "3"]), [2], "categorical"),              # not castable to int
        (pd.Series(["a", "b"]), ["a"], "categorical"),
        (pd.Series([True, False, True]), [True], "categorical"),         # bool
        (pd.Series([1, 2, 3]).astype("category"), [1], "categorical"),   # category dtype
        (pd.Series(range(100)), [40], "continuous"),
    ],
)
def test_infer_kind(series, values, kind):
    assert infer_kind(series, values) == kind


def test_infer_kind_logs_like_clarify(caplog):
    with caplog.at_level(logging.INFO, logger="analyzer.bias"):
        infer_kind(pd.Series([0, 1, 0, 1], name="y"), [1])
    assert "Column y with data uniqueness fraction 0.5 is classifed as a CONTINUOUS column" in caplog.text


def test_interval_texts():
    # (t, max] as pandas prints it; ints stay ints, floats print in full
    assert threshold_interval(40, np.int64(75)).text == "(40, 75]"
    assert threshold_interval(0.5, np.float64(4.606198409545031)).text == "(0.5, 4.606198409545031]"
    # threshold == max: max is not added, no interval, empty text, nothing selected
    empty = threshold_interval(1, np.int64(1))
    assert empty.text == "" and not empty.mask(np.array([0, 1, 1])).any()
    # threshold > max: "(max, t]", selects nothing
    above = threshold_interval(5, np.int64(3))
    assert above.text == "(3, 5]" and not above.mask(np.array([1, 2, 3])).any()
    # x > t selection; NaN never selected
    iv = threshold_interval(2, np.float64(4.0))
    assert iv.mask(np.array([1.0, 2.0, 2.5, 4.0, np.nan])).tolist() == [False, False, True, True, False]


def test_numeric_threshold():
    assert numeric_threshold([40]) == 40
    assert numeric_threshold(["40"]) == 40.0
    with pytest.raises(SelectionError, match="^Facet/label value provided must be a single numeric threshold"):
        numeric_threshold(["forty"])
    with pytest.raises(SelectionError, match="^Threshold values must be provided for continuous features$"):
        numeric_threshold([])


@pytest.mark.parametrize(
    "series, values, expected",
    [
        (pd.Series([1, 2, 1]), ["1"], [True, False, True]),            # "1" -> 1
        (pd.Series(["1", "2", "1"]), [1], [True, False, True]),        # 1 -> "1"
        (pd.Series(["1", "2", "1"], dtype=object), [1], [True, False, True]),
        (pd.Series([1, 2, 1]), ["1.0"], [True, False, True]),          # "1.0" -> 1.0 (int() fails)
        (pd.Series(["True", "False"]), [True], [True, False]),         # True -> "True"
        (pd.Series([True, False, True]), ["True"], [True, False, True]),   # bool("True")
        (pd.Series(["a", "b", "c", "a"]), ["a", "c"], [True, False, True, True]),  # OR of values
        (pd.Series(["a", None, "b"]), ["x"], [False, False, False]),   # nothing matches
    ],
)
def test_categorical_mask_and_coercion(series, values, expected):
    assert CategoricalColumn(series, "c").mask(values).tolist() == expected


def test_conversion_failure_message():
    with pytest.raises(SelectionError) as e:
        convert_values(["x"], np.float64(1.0))
    assert str(e.value) == (
        "'label' has not positive elements. Double-check if 'label' and 'positive_label_values'"
        "have correct data-types or values."
    )


def test_distinct_values_in_order_of_first_appearance_with_nan():
    col = CategoricalColumn(pd.Series(["b", "a", None, "b", "c"]), "c")
    values = col.distinct_values()
    assert values[:2] == ["b", "a"] and pd.isna(values[2]) and values[3] == "c"
    # NaN never selects a row (the one-vs-rest entry "nan" gets an empty facet)
    assert not col.mask([values[2]]).any()
