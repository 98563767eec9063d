"""Time-series datasets (``time_series_data_config``): JSON documents → one series item per item id.

Each field (``item_id``, ``timestamp``, ``target_time_series``, ``related_time_series``,
``static_covariates``) is a JMESPath into the whole document (or, with integer fields, a column
index into a JSON list of rows). The three ``dataset_format`` values, as in the SDK's docs:

- ``columns``: ``{"ids": [1, 1, 2], "timestamps": [...], "target_ts": [...], ...}``, one entry per row;
- ``timestamp_records``: ``[{"id": 1, "timestamp": 1, "target_ts": 5, ...}, ...]``, paths like ``[].id``;
- ``item_records``: ``[{"id": 1, "scv1": 10, "timeseries": [{"timestamp": 1, "target_ts": 5}, ...]}]``,
  paths like ``[*].id`` and ``[*].timeseries[].target_ts``.

Projections (``[]``, ``[*]``) apply element by element here, so a record without a value keeps its
place as null (plain JMESPath drops it). Rows are grouped by item id (first appearance) and sorted
by timestamp. The target may end with nulls: the forecast horizon, where related series still carry
future values (AWS's example); other gaps are refused naming the item.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence


from analyzer.data.json_reader import compile_path, loads, read_text, search
from analyzer.data.time_series_items import SeriesItem, item_from_rows
from analyzer.errors import ConfigError, DataError

KEY = "time_series_data_config"
MAX_ITEMS = 1_000_000   # a bound on what one job reads


@dataclass(frozen=True)
class TimeSeriesData:
    items: tuple[SeriesItem, ...]
    target_name: str
    related_names: tuple[str, ...]
    static_names: tuple[str, ...]

    def item(self, item_id: Any) -> SeriesItem | None:
        return next((i for i in self.items if i.item_id == item_id), None)


@dataclass(frozen=True)
class _Fields:  # the config's references, by role
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

@functools.lru_cache(maxsize=256)
def _compiled(path: str, key: str) -> Any:
    return compile_path(path, f"{KEY}.{key}")


@functools.lru_cache(maxsize=256)
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
        return search(_compiled(path, key), node, f"{KEY}.{key}", where)
    before, after, flatten = split
    collection = search(_compiled(before, key), node, f"{KEY}.{key}", where) if before else node
    if not isinstance(collection, list):
        return None
    if flatten:
        collection = [v for e in collection for v in (e if isinstance(e, list) else [e])]
    after = after[1:] if after.startswith(".") else after
    if not after:
        return collection
    if _split(after) is None:   # the common case: one compiled path per element
        compiled = _compiled(after, key)
        return [search(compiled, e, f"{KEY}.{key}", where) for e in collection]
    return [evaluate(after, e, key, where) for e in collection]


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


def source_names(uri: str | Path, files: Sequence[Path]) -> list[str]:
    """What errors call each file fetched for ``uri``: its S3 URI (not the scratch copy), else its path.
    A download is ``<scratch>/<bucket>/<key>`` (``analyzer.storage``); one object is ``uri`` itself."""
    text = str(uri)
    if not text.lower().startswith("s3://"):
        return [str(path) for path in files]
    if len(files) == 1 and not text.endswith("/"):
        return [text]
    bucket = text[len("s3://"):].partition("/")[0]
    names = []
    for path in files:
        parts = path.parts
        at = max((i for i, part in enumerate(parts) if part == bucket), default=None)
        names.append(f"s3://{bucket}/{'/'.join(parts[at + 1:])}" if at is not None else str(path))
    return names


def read_time_series(files: Sequence[Path], ts: Mapping[str, Any], headers: Sequence[str] | None,
                     what: str = "dataset", names: Sequence[str] | None = None) -> TimeSeriesData:
    """Every item of the dataset files, each sorted by time (see the module docstring). ``names``:
    what errors call the files (``source_names``), default their paths."""
    f = _fields(ts)
    shown = list(names) if names is not None else [str(path) for path in files]
    columns: dict[str, list[Any]] = {}
    for path, name in zip(files, shown, strict=True):
        try:
            text = read_text(path)
        except DataError as exc:   # named as the user gave it, not as the scratch copy
            raise DataError(exc.message.replace(str(path), name)) from None
        document = loads(text, name)
        part = (_item_rows if f.dataset_format == "item_records" else _row_columns)(document, f, f"{what} {name}")
        for key, values in part.items():
            columns.setdefault(key, []).extend(values)
    if not columns.get("item_id"):
        raise DataError(f"The {what} has no time-series rows: {', '.join(shown)}.")
    target_name, related_names, static_names = series_names(ts, headers)
    groups: dict[Any, list[int]] = {}
    for row, item in enumerate(columns["item_id"]):
        if item is None or isinstance(item, (list, dict)):
            raise DataError(f"The {what}: {KEY}.item_id has {'a null' if item is None else 'a non-scalar'} value at "
                            f"row {row}; every row needs an item id.")
        groups.setdefault(item, []).append(row)
    if len(groups) > MAX_ITEMS:
        raise DataError(f"The {what} has {len(groups)} items; at most {MAX_ITEMS} are supported.")
    series = (target_name, related_names, static_names)
    items = tuple(item_from_rows(item, rows, columns, str(f.timestamp), series, what) for item, rows in groups.items())
    return TimeSeriesData(items, target_name, related_names, static_names)
