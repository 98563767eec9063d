"""JSON Lines text → one JSON value per non-blank line, in bulk (shared by live model responses),
and chosen top-level fields of every line read by Arrow."""
from __future__ import annotations

import io
import json
import re
from typing import Any, Sequence

import numpy as np


def json_lines(text: str) -> list[Any]:
    """One JSON value per non-blank line, as ``json.loads`` per line gives them (same errors), with
    the decoder's scanner called directly: half the cost per record."""
    scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # per call: the scanner's key memo is not shared by threads

    def one(line: str) -> Any:
        text = line.strip(" \t\n\r")   # the whitespace json.loads allows around a value
        try:
            value, end = scan(text, 0)
            if end == len(text):
                return value
        except (StopIteration, ValueError):
            pass
        return json.loads(line)   # raises json.loads's own error

    return list(map(one, filter(str.strip, text.splitlines())))


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
INT64_BOUND = 2.0 ** 63


def json_fields(body: bytes, names: Sequence[str]) -> list[np.ndarray | list] | None:
    """Top-level fields ``names`` of every line, read by Arrow in bulk, with the values ``json.loads``
    per line would give (numbers and booleans as numpy arrays, strings as a list), or None when the
    general reader is needed: a line that is not one object, a missing or null field, mixed types,
    numbers beyond int64 (Arrow reads a big integer as a double), string fields with ``\\u`` escapes
    (Arrow and Python differ on lone surrogates), or a name that is not a plain identifier."""
    if not body.startswith(b"{") or not all(_FIELD.fullmatch(name) for name in names):
        return None
    try:
        body.decode("utf-8")   # Arrow may not check every byte; the general reader says what is wrong
    except UnicodeDecodeError:
        return None
    text = body.rstrip(b"\r\n")
    if text.count(b"\n") != text.count(b"\n{"):   # a line that does not start an object (blank, ...)
        return None
    import pyarrow as pa
    import pyarrow.json as pa_json

    try:
        table = pa_json.read_json(io.BytesIO(text))
    except pa.ArrowException:
        return None
    if table.num_rows != text.count(b"\n") + 1:   # two objects on one line: json.loads refuses it
        return None
    found: list[np.ndarray | list] = []
    for name in names:
        if name not in table.column_names:
            return None
        column = table.column(name)
        kind = column.type
        if column.null_count:
            return None
        if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            found.append(column.to_numpy())
        elif pa.types.is_floating(kind):
            values = column.to_numpy()
            if np.abs(values).max() >= INT64_BOUND:   # json.loads may keep an integer this large exact
                return None
            found.append(values)
        elif pa.types.is_string(kind) and b"\\u" not in text:
            found.append(column.to_pylist())
        else:
            return None
    return found
