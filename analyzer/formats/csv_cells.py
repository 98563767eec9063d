"""CSV model responses → columns of cells, each cell as the model meant it (number, JSON list, text).

``csv_rows`` is the general reader (``csv`` module, one ``parse_cell`` per cell). ``csv_columns``
reads plain responses (no quotes, no list cells, no carriage returns) in bulk: all-number ones
with Arrow's CSV reader, others split and converted a whole column at once. It gives the same
values (numeric columns as numpy arrays) or None when the response needs the general reader.
"""
from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from typing import Any

import numpy as np

_NEEDS_READER = ('"', "[", "\r", "\x00")


_NUMBER_BYTES = b"0123456789.eE+-, \n"


@lru_cache(maxsize=1)
def _arrow_options() -> tuple[Any, Any]:
    import pyarrow.csv as pa_csv

    # Cells are numbers or text, never missing, true/false or dates: as _column reads them.
    return (pa_csv.ReadOptions(autogenerate_column_names=True),
            pa_csv.ConvertOptions(null_values=[], true_values=[], false_values=[], strings_can_be_null=False,
                                  quoted_strings_can_be_null=False, timestamp_parsers=[]))


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


def _arrow_columns(text: str) -> list[np.ndarray | list] | None:
    """All-number columns read by Arrow's CSV reader: int64 columns, and double columns that
    are not all whole numbers (an integer cell beyond int64, or written "+1", is an int to
    ``_column`` but a double to Arrow) and hold no value of 1e17 or more (``_column`` reads
    such a column cell by cell). None for anything else."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    body = text.encode("utf-8")
    if body.translate(None, _NUMBER_BYTES):   # only digits, signs, points, exponents (Arrow reads "0x1")
        return None
    try:
        read, convert = _arrow_options()
        table = pa_csv.read_csv(io.BytesIO(body), read_options=read, convert_options=convert)
    except pa.ArrowException:
        return None
    columns: list[np.ndarray | list] = []
    for column in table.columns:
        values = column.to_numpy()
        if pa.types.is_int64(column.type) or pa.types.is_float64(column.type) and \
                not np.array_equal(values, np.round(values), equal_nan=True) and not (np.abs(values) >= 1e17).any():
            columns.append(values)
        else:
            return None
    return columns or None


def csv_columns(text: str) -> list[np.ndarray | list] | None:
    """Columns of a plain CSV response, or None when it needs :func:`csv_rows`."""
    if any(mark in text for mark in _NEEDS_READER):
        return None
    found = _arrow_columns(text)
    return found if found is not None else _split_columns(text)


def _split_columns(text: str) -> list[np.ndarray | list] | None:
    rows = [line.split(",") for line in text.split("\n") if line]
    if not rows or len({len(row) for row in rows}) != 1:
        return None
    return [_column(cells) for cells in zip(*rows)]


def is_numeric(column: np.ndarray | list) -> bool:
    if isinstance(column, np.ndarray):
        return column.dtype.kind in "iuf"
    return all(isinstance(v, (int, float)) for v in column)
