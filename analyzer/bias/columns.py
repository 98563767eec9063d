"""Which rows a facet, label or predicted-label configuration selects, as Clarify decides it.

Clarify (smclarify 0.5, ``common.series_datatype``) first classifies each column as
CATEGORICAL or CONTINUOUS from its dtype, its uniqueness (``nunique / count``) and how many
values were given; then categorical values select rows equal to any of them, and a single
continuous value is an exclusive lower bound written as a pandas interval, ``"(t, max]"``.
Object and pandas-string columns are treated alike.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analyzer.bias.groups import divide

logger = logging.getLogger("analyzer.bias")

Kind = Literal["categorical", "continuous"]
KINDS: tuple[Kind, ...] = ("categorical", "continuous")
#: A numeric column with at least this share of distinct values is continuous.
UNIQUENESS_THRESHOLD = 0.05

NOT_NUMERIC_THRESHOLD = "Facet/label value provided must be a single numeric threshold for continuous data"
NO_THRESHOLD = "Threshold values must be provided for continuous features"
CONVERSION_FAILED = (
    "'label' has not positive elements. Double-check if 'label' and 'positive_label_values'"
    "have correct data-types or values."
)


class SelectionError(ValueError):
    """The configuration cannot select rows from this column (message is Clarify's)."""


def uniqueness(series: pd.Series) -> float:
    """``nunique / count`` (NaN excluded from both; 0/0 = 0)."""
    return float(divide(series.nunique(), series.count()))


def _is_string_like(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def _castable_to_int(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.StringDtype):
        series = series.astype(object)
    try:
        series.astype("int64")
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def infer_kind(series: pd.Series, values: Sequence[Any] | None, *, name: str | None = None,
               frac: float | None = None) -> Kind:
    """Clarify's classification of a column, given the values configured for it.

    1. category dtype, or more than one value given: categorical;
    2. object / string dtype: continuous if every value casts to int64 and the uniqueness
       is at least 0.05, else categorical;
    3. float dtype: continuous;
    4. integer dtype: continuous if the uniqueness is at least 0.05, else categorical;
    5. anything else (bool, ...): categorical.
    """
    if frac is None:
        frac = uniqueness(series)
    kind: Kind = "categorical"
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or (values is not None and len(values) > 1):
        kind = "categorical"
    elif _is_string_like(series):
        if frac >= UNIQUENESS_THRESHOLD and _castable_to_int(series):
            kind = "continuous"
    elif pd.api.types.is_bool_dtype(dtype):
        kind = "categorical"
    elif pd.api.types.is_float_dtype(dtype):
        kind = "continuous"
    elif pd.api.types.is_integer_dtype(dtype):
        if frac >= UNIQUENESS_THRESHOLD:
            kind = "continuous"
    logger.info(
        "Column %s with data uniqueness fraction %s is classifed as a %s column",
        name if name is not None else series.name, frac, kind.upper(),
    )
    return kind


def numeric_threshold(values: Sequence[Any]) -> float | int:
    """The single threshold of a continuous column: an int or float (bools count as ints).

    Any other value is converted with ``float``; failing that, SelectionError.
    """
    if not values:
        raise SelectionError(NO_THRESHOLD)
    value = values[0]
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SelectionError(NOT_NUMERIC_THRESHOLD) from None


def to_numeric(series: pd.Series) -> np.ndarray:
    """The column as a numpy numeric array (what Clarify's ``pd.to_numeric`` gives)."""
    if isinstance(series.dtype, pd.StringDtype):
        series = series.astype(object)
    out = pd.to_numeric(series)
    if not isinstance(out.dtype, np.dtype):  # nullable Int64/Float64: NaN for missing
        out = out.astype("float64")
    return out.to_numpy()


@dataclass(frozen=True)
class Interval:
    """A right-closed interval ``(left, right]`` and its pandas text, e.g. ``"(40, 75]"``.

    ``left``/``right`` are None for Clarify's degenerate case (threshold == |max|), whose
    text is ``""`` and which selects nothing.
    """

    left: Any
    right: Any
    text: str

    def mask(self, x: np.ndarray) -> np.ndarray:
        """``left < x <= right`` (NaN never selected)."""
        if self.left is None:
            return np.zeros(x.shape[0], dtype=bool)
        return (x > self.left) & (x <= self.right)


def threshold_interval(threshold: float | int, data_max: Any) -> Interval:
    """Clarify's interval for one threshold: breaks ``sorted([t, max])`` (max left out when
    ``|max| == t``), made into ``pd.IntervalIndex.from_breaks`` and printed by pandas.

    So ``t < max`` gives ``(t, max]`` (rows with x > t), ``t >= max`` selects nothing and,
    for ``t > max``, prints ``"(max, t]"``.
    """
    breaks = [threshold]
    if not abs(data_max) == threshold:
        breaks.append(data_max)
    index = pd.IntervalIndex.from_breaks(sorted(breaks))
    text = ",".join(map(str, index))
    if len(index) == 0:
        return Interval(None, None, text)
    return Interval(index.left[0], index.right[0], text)


class CategoricalColumn:
    """A column factorised once; selects rows equal to given values (OR of the values).

    Equality is pandas' categorical equality (what Clarify uses after ``astype("category")``),
    evaluated on the distinct values only and mapped back to rows through the codes.
    """

    def __init__(self, series: pd.Series, name: str, weights: np.ndarray | None = None) -> None:
        self.name = name
        codes, uniques = pd.factorize(series, use_na_sentinel=False, sort=False)
        self.codes = codes
        # Distinct values (NaN included, in order of first appearance) as the same
        # categorical Clarify builds from the whole column.
        self._distinct = pd.Series(uniques, dtype=series.dtype).astype("category")
        # ``weights``: rows of the data each row of ``series`` stands for (the chunked path)
        self.size = len(series) if weights is None else int(weights.sum())
        nan_code = np.flatnonzero(pd.isna(uniques))
        missing = np.isin(codes, nan_code) if nan_code.size else np.zeros(len(codes), dtype=bool)
        n_missing = int(np.count_nonzero(missing) if weights is None else weights[missing].sum())
        #: ``nunique / count`` as Clarify computes it, from the same factorisation.
        self.uniqueness = float(divide(len(uniques) - nan_code.size, self.size - n_missing))

    def distinct_values(self) -> list[Any]:
        """Distinct values in order of first appearance, NaN included (one-vs-rest order)."""
        return list(self._distinct)

    def first_value(self) -> Any:
        """The column's first element as Clarify reads it (``series[0]`` of the categorical)."""
        return self._distinct.iloc[int(self.codes[0])] if self.size else None

    def _match(self, values: Sequence[Any]) -> np.ndarray:
        hit = np.zeros(len(self._distinct), dtype=bool)
        for value in values:  # a few configured values, not rows
            hit |= (self._distinct == value).to_numpy(dtype=bool)
        return hit

    def mask(self, values: Sequence[Any], on_convert: Callable[[list, list], None] | None = None) -> np.ndarray:
        """Rows equal to any of ``values``.

        If none match, the values are converted to the type of the column's first element
        and matched again ("1" -> 1, 1 -> "1", "1.0" -> 1.0, True -> "True"), as Clarify's
        ``convert_positive_label_values`` does. Raises SelectionError if conversion fails.
        """
        hit = self._match(values)
        if not hit.any() and len(values) and self.size:
            converted = convert_values(values, self.first_value())
            if converted is not values:
                if on_convert is not None:
                    on_convert(list(values), list(converted))
                hit = self._match(converted)
        return hit[self.codes]


def convert_values(values: Sequence[Any], first: Any) -> Sequence[Any]:
    """Convert configured values to ``type(first)``; returns ``values`` itself when the first
    value already has that type. ``int("1.0")``-style failures fall back to ``float``."""
    target = type(first)
    if isinstance(values[0], target):
        return values
    try:
        return [target(v) for v in values]
    except ValueError as exc:
        if "invalid literal for int() with base 10" in str(exc):
            try:
                return [float(v) for v in values]
            except ValueError as again:  # Clarify lets this one through unchanged
                raise SelectionError(str(again)) from None
        raise SelectionError(CONVERSION_FAILED) from None
    except TypeError as exc:
        raise SelectionError(str(exc)) from None
