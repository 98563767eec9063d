"""Time-series datasets (``time_series_data_config``): JSON documents → one series item per item id.

Each field (``item_id``, ``timestamp``, ``target_time_series``, ``related_time_series``,
``static_covariates``) is a JMESPath into the whole document (or, with integer fields, a column
index into a JSON list of rows). The three ``dataset_format`` values, as in the SDK's docs:

- ``columns``: ``{"ids": [1, 1, 2], "timestamps": [...], "target_ts": [...], ...}``, one entry per row;
- ``timestamp_records``: ``[{"id": 1, "timestamp": 1, "target_ts": 5, ...}, ...]``, paths like ``[].id``;
- ``item_records``: ``[{"id": 1, "scv1": 10, "timeseries": [{"timestamp": 1, "target_ts": 5}, ...]}]``,
  paths like ``[*].id`` and ``[*].timeseries[].target_ts``.

A projection (``[]`` / ``[*]``) is applied element by element here, so a record without a value
keeps its place as null (plain JMESPath would drop it and misalign the rows). Rows are grouped by
item id (first appearance order) and sorted by timestamp. The target may end with nulls: those
steps are the forecast horizon, where related series still carry (future) values, as in AWS's
example; a gap inside the target, a null related value or timestamp is refused naming the item.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from analyzer.data.json_reader import compile_path, loads, read_text, search
from analyzer.errors import ConfigError, DataError

KEY = "time_series_data_config"
#: Bounds on what one job reads: more steps or items than this is not a forecasting history.
MAX_STEPS = 100_000
MAX_ITEMS = 1_000_000


@dataclass(frozen=True)
class SeriesItem:
    item_id: Any
    timestamps: tuple[Any, ...]      # as in the data, sorted; length T
    target: np.ndarray               # (T_x,), T_x <= T: the known history
    related: np.ndarray              # (T, R)
    static: tuple[Any, ...]          # S values


@dataclass(frozen=True)
class TimeSeriesData:
    items: tuple[SeriesItem, ...]
    target_name: str
    related_names: tuple[str, ...]
    static_names: tuple[str, ...]

    def item(self, item_id: Any) -> SeriesItem | None:
        return next((i for i in self.items if i.item_id == item_id), None)


@dataclass(frozen=True)
class _Fields:
    item_id: Any
    timestamp: Any
    target: Any
    related: tuple[Any, ...]
    static: tuple[Any, ...]
    dataset_format: str | None


def _fields(ts: Mapping[str, Any]) -> _Fields:
    fmt = ts.get("dataset_format")
    return _Fields(ts["item_id"], ts["timestamp"], ts["target_time_series"], tuple(ts.get("related_time_series") or ()),
                   tuple(ts.get("static_covariates") or ()), fmt.lower() if isinstance(fmt, str) else None)


def series_names(ts: Mapping[str, Any], headers: Sequence[str] | None) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(target, related, static) names: from ``headers`` (item_id, timestamp, target, related..., static...)
    or else from the paths' last field names (``[].p_mbar`` → ``p_mbar``), ``column_<i>`` for indices."""
    f = _fields(ts)
    refs = [f.target, *f.related, *f.static]
    if headers:
        if len(headers) != 3 + len(refs) - 1:
            raise ConfigError(f"headers: {len(headers)} names given; with {KEY} they name item_id, timestamp, the "
                              f"target, {len(f.related)} related series and {len(f.static)} static covariates "
                              f"({2 + len(refs)} names).")
        names = [str(h) for h in headers[2:]]
    else:
        names = [_name(r) for r in refs]
    return names[0], tuple(names[1:1 + len(f.related)]), tuple(names[1 + len(f.related):])


def _name(ref: Any) -> str:
    if isinstance(ref, int):
        return f"column_{ref}"
    found = [m.group(1) or m.group(0) for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|[A-Za-z_][A-Za-z0-9_]*', ref)]
    return found[-1] if found else ref


# ------------------------------------------------------------------------------------------ paths

def _split(path: str) -> tuple[str, str, bool] | None:
    """(before, after, flatten) around the first top-level ``[]``/``[*]``, or None."""
    depth, quote, i = 0, "", 0
    while i < len(path):
        c = path[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            for token, flatten in (("[]", True), ("[*]", False)):
                if depth == 0 and path.startswith(token, i):
                    return path[:i], path[i + len(token):], flatten
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    return None


def evaluate(path: str, node: Any, key: str, where: str) -> Any:
    """``jmespath.search(path, node)``, except that projections keep a null for each element."""
    split = _split(path)
    if split is None:
        return search(compile_path(path, f"{KEY}.{key}"), node, f"{KEY}.{key}", where)
    before, after, flatten = split
    collection = search(compile_path(before, f"{KEY}.{key}"), node, f"{KEY}.{key}", where) if before else node
    if not isinstance(collection, list):
        return None
    if flatten:
        collection = [v for e in collection for v in (e if isinstance(e, list) else [e])]
    after = after[1:] if after.startswith(".") else after
    return [evaluate(after, e, key, where) if after else e for e in collection]


# ------------------------------------------------------------------------------------------ reading

def _column(values: Any, key: str, path: Any, rows: int | None, where: str) -> list[Any]:
    if values is None or (isinstance(values, list) and values and all(v is None for v in values)):
        raise ConfigError(f"{KEY}.{key}: {path!r} finds nothing in {where}; check the path (or headers/index).")
    if not isinstance(values, list):
        raise DataError(f"{where}: {KEY}.{key} ({path!r}) should give a list, got {type(values).__name__}.")
    if rows is not None and len(values) != rows:
        raise DataError(f"{where}: {KEY}.{key} ({path!r}) gives {len(values)} values for {rows} rows "
                        f"({KEY}.item_id has {rows}).")
    return values


def _keys(f: _Fields) -> list[tuple[str, Any]]:
    return [("item_id", f.item_id), ("timestamp", f.timestamp), ("target_time_series", f.target),
            *((f"related_time_series[{i}]", r) for i, r in enumerate(f.related)),
            *((f"static_covariates[{i}]", s) for i, s in enumerate(f.static))]


def _row_columns(document: Any, f: _Fields, where: str) -> dict[str, list[Any]]:
    """columns / timestamp_records / integer indices: one list per field, one entry per row."""
    out: dict[str, list[Any]] = {}
    rows = None
    for key, ref in _keys(f):
        if isinstance(ref, int):
            if not isinstance(document, list) or not all(isinstance(r, list) for r in document):
                raise DataError(f"{where}: with integer {KEY} fields the document must be a list of rows (lists).")
            widths = {len(r) for r in document}
            if document and ref >= min(widths):
                raise ConfigError(f"{KEY}.{key}: index {ref} is out of range; rows of {where} have "
                                  f"{min(widths)} values.")
            values: Any = [r[ref] for r in document]
        else:
            values = evaluate(ref, document, key, where)
        out[key] = _column(values, key, ref, rows, where)
        rows = len(out[key]) if rows is None else rows
    return out


def _item_rows(document: Any, f: _Fields, where: str) -> dict[str, list[Any]]:
    """item_records: per-item values (ids, static covariates) and per-item lists (the series),
    flattened to one entry per row like the other formats."""
    ids = _column(evaluate(f.item_id, document, "item_id", where), "item_id", f.item_id, None, where)
    out: dict[str, list[Any]] = {"item_id": []}
    per_item = {key: _column(evaluate(ref, document, key, where), key, ref, len(ids), where)
                for key, ref in _keys(f)[1:]}
    for n, item in enumerate(ids):
        length = None
        for key, ref in _keys(f)[1:3 + len(f.related)]:
            values = per_item[key][n]
            if not isinstance(values, list):
                raise DataError(f"{where}: {KEY}.{key} ({ref!r}) should give a list of values for each item; "
                                f"item {item!r} has {type(values).__name__}.")
            if length is not None and len(values) != length:
                raise DataError(f"{where}: item {item!r} has {length} timestamps but {len(values)} values "
                                f"for {KEY}.{key} ({ref!r}).")
            length = len(values)
            out.setdefault(key, []).extend(values)
        out["item_id"].extend([item] * (length or 0))
        for key, _ref in _keys(f)[3 + len(f.related):]:
            out.setdefault(key, []).extend([per_item[key][n]] * (length or 0))
    return out


def read_time_series(files: Sequence[Path], ts: Mapping[str, Any], headers: Sequence[str] | None,
                     what: str = "dataset") -> TimeSeriesData:
    """Every item of the dataset files, each sorted by time (see the module docstring)."""
    f = _fields(ts)
    columns: dict[str, list[Any]] = {}
    for path in files:
        document = loads(read_text(path), str(path))
        part = (_item_rows if f.dataset_format == "item_records" else _row_columns)(document, f, f"{what} {path}")
        for key, values in part.items():
            columns.setdefault(key, []).extend(values)
    if not columns.get("item_id"):
        raise DataError(f"The {what} has no time-series rows: {', '.join(map(str, files))}.")
    target_name, related_names, static_names = series_names(ts, headers)
    groups: dict[Any, list[int]] = {}
    for row, item in enumerate(columns["item_id"]):
        if item is None or isinstance(item, (list, dict)):
            raise DataError(f"The {what}: {KEY}.item_id has {'a null' if item is None else 'a non-scalar'} value at "
                            f"row {row}; every row needs an item id.")
        groups.setdefault(item, []).append(row)
    if len(groups) > MAX_ITEMS:
        raise DataError(f"The {what} has {len(groups)} items; at most {MAX_ITEMS} are supported.")
    names = (target_name, related_names, static_names)
    items = tuple(_item(item, rows, columns, f, names, what) for item, rows in groups.items())
    return TimeSeriesData(items, target_name, related_names, static_names)


# ------------------------------------------------------------------------------------------ one item

def _order(stamps: list[Any], item: Any, name: str, what: str) -> np.ndarray:
    """The sort order of one item's timestamps: numbers as numbers, strings as dates."""
    if any(s is None for s in stamps):
        raise DataError(f"The {what}: item {item!r} has a null timestamp ({name}).")
    if all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in stamps):
        keys: Any = np.asarray(stamps, dtype=float)
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


def _item(item: Any, rows: list[int], columns: dict[str, list[Any]], f: _Fields,
          names: tuple[str, tuple[str, ...], tuple[str, ...]], what: str) -> SeriesItem:
    target_name, related_names, static_names = names
    if len(rows) > MAX_STEPS:
        raise DataError(f"The {what}: item {item!r} has {len(rows)} time steps; at most {MAX_STEPS} are supported.")
    order = _order([columns["timestamp"][r] for r in rows], item, str(f.timestamp), what)
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
