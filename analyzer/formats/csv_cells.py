"""CSV model responses → columns of cells, each cell as the model meant it (number, JSON list, text).

``csv_rows`` is the general reader (``csv`` module, one ``parse_cell`` per cell). ``csv_columns``
splits plain responses (no quotes, no list cells, no carriage returns) in bulk and converts whole
columns at once; it gives the same values (numeric columns as numpy arrays) or None when the
response needs the general reader.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

_NEEDS_READER = ('"', "[", "\r", "\x00")


def parse_cell(text: str) -> Any:
    """A CSV cell as the model meant it: number, JSON list, or the text itself."""
    text = text.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def csv_rows(text: str) -> list[list[Any]]:
    return [[parse_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text)) if row]


def _column(cells: tuple[str, ...]) -> np.ndarray | list:
    """One column converted at once: all ints, else all floats (numpy promotes a mix of ints and
    floats to float either way), else cell by cell with each distinct cell parsed once."""
    try:
        ints = list(map(int, cells))
        array = np.array(ints)
        return array if array.dtype.kind == "i" else ints  # beyond int64: keep Python ints
    except ValueError:
        pass
    # An int beyond int64 next to floats makes numpy's mix an object array: those go cell by cell
    # (such a cell has 19+ characters and none of ".eEnN", which every long float text has).
    if not any(len(c) > 18 and not any(m in c for m in ".eEnN") for c in cells):
        try:
            return np.array(list(map(float, cells)), dtype=float)
        except ValueError:
            pass
    parsed = {cell: parse_cell(cell) for cell in set(cells)}
    return [parsed[cell] for cell in cells]


def csv_columns(text: str) -> list[np.ndarray | list] | None:
    """Columns of a plain CSV response, or None when it needs :func:`csv_rows`."""
    if any(mark in text for mark in _NEEDS_READER):
        return None
    rows = [line.split(",") for line in text.split("\n") if line]
    if not rows or len({len(row) for row in rows}) != 1:
        return None
    return [_column(cells) for cells in zip(*rows)]


def is_numeric(column: np.ndarray | list) -> bool:
    if isinstance(column, np.ndarray):
        return column.dtype.kind in "iuf"
    return all(isinstance(v, (int, float)) for v in column)
