"""One series item of a time-series dataset from its rows: sorted by timestamp, values checked.

Timestamps are numbers or date strings; the target may end in nulls (the forecast horizon) but has
no other gaps; related series have a value at every step; static covariates are constant per item.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzer.errors import DataError

MAX_STEPS = 100_000   # a bound on one item's history


@dataclass(frozen=True)
class SeriesItem:
    item_id: Any
    timestamps: tuple[Any, ...]      # as in the data, sorted; length T
    target: np.ndarray               # (T_x,), T_x <= T: the known history
    related: np.ndarray              # (T, R)
    static: tuple[Any, ...]          # S values


def _order(stamps: list[Any], item: Any, name: str, what: str) -> np.ndarray:
    """The sort order of one item's timestamps: numbers as numbers, strings as dates."""
    if any(s is None for s in stamps):
        raise DataError(f"The {what}: item {item!r} has a null timestamp ({name}).")
    if all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in stamps):
        keys: Any = np.asarray(stamps, dtype=float)
        if not np.isfinite(keys).all():
            raise DataError(f"The {what}: item {item!r} has a timestamp ({name}) that is not a finite number.")
    elif all(isinstance(s, str) for s in stamps):
        try:
            keys = pd.to_datetime(pd.Series(stamps), format="mixed").to_numpy()
        except (ValueError, TypeError, OverflowError):
            bad = next((s for s in stamps if pd.isna(pd.to_datetime(s, errors="coerce", format="mixed"))), stamps[0])
            raise DataError(f"The {what}: timestamp {bad[:40]!r} of item {item!r} in column {name!r} is not a "
                            "date/time (use ISO 8601, e.g. 2020-01-01 16:20:00, or numbers).") from None
    else:
        raise DataError(f"The {what}: the timestamps of item {item!r} ({name}) mix numbers and strings or hold "
                        "other values; use ISO 8601 strings or numbers.")
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
        raise DataError(f"The {what}: item {item!r} has the same timestamp ({name}) twice.")
    return order


def _numbers(values: list[Any], item: Any, name: str, what: str) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DataError(f"The {what}: series {name!r} of item {item!r} has the value {str(v)[:40]!r}; "
                            "time series values must be finite numbers.")
        out[i] = v
    return out


def item_from_rows(item: Any, rows: list[int], columns: dict[str, list[Any]], timestamp_key: str,
                   names: tuple[str, tuple[str, ...], tuple[str, ...]], what: str) -> SeriesItem:
    """One item from its rows of the field columns (keyed as ``time_series``'s readers key them)."""
    target_name, related_names, static_names = names
    if len(rows) > MAX_STEPS:
        raise DataError(f"The {what}: item {item!r} has {len(rows)} time steps; at most {MAX_STEPS} are supported.")
    order = _order([columns["timestamp"][r] for r in rows], item, timestamp_key, what)
    rows = [rows[i] for i in order]
    target = _numbers([columns["target_time_series"][r] for r in rows], item, target_name, what)
    known = np.flatnonzero(~np.isnan(target))
    if not len(known):
        raise DataError(f"The {what}: item {item!r} has no value of the target series {target_name!r}.")
    if known[0] != 0 or len(known) != known[-1] + 1:
        raise DataError(f"The {what}: the target series {target_name!r} of item {item!r} has missing values inside "
                        "its history (only the forecast horizon at the end may be null); fill them.")
    related = np.column_stack([_numbers([columns[f"related_time_series[{j}]"][r] for r in rows], item, name, what)
                               for j, name in enumerate(related_names)]) if related_names else np.zeros((len(rows), 0))
    if np.isnan(related).any():
        j = int(np.flatnonzero(np.isnan(related).any(axis=0))[0])
        raise DataError(f"The {what}: related series {related_names[j]!r} of item {item!r} has a missing value; "
                        "related series need a value at every timestamp.")
    static = []
    for j, name in enumerate(static_names):
        seen = {repr(columns[f"static_covariates[{j}]"][r]) for r in rows}
        if len(seen) > 1:
            raise DataError(f"The {what}: static covariate {name!r} changes within item {item!r}; it must be "
                            "constant per item.")
        static.append(columns[f"static_covariates[{j}]"][rows[0]])
    return SeriesItem(item, tuple(columns["timestamp"][r] for r in rows), target[:known[-1] + 1], related,
                      tuple(static))
