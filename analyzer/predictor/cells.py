"""Feature frames → request cells as text, a column at a time.

The request encoders' general paths go through pandas ``to_csv`` (CSV) or one ``json.dumps`` per
row (JSON); for the usual columns (numpy ints, floats, bools and plain strings) these functions
give the same text per cell in bulk: numbers formatted by numpy, each distinct string formatted
once. They return None for anything else, and the encoder takes its general path.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from analyzer.predictor.templates import dumps

_CSV_QUOTED = (",", '"')
_CSV_LINE_BREAKS = ("\n", "\r")   # how the csv module quotes these differs between Pythons: general path


def _plain_strings(column: pd.Series) -> bool:
    if isinstance(column.dtype, pd.StringDtype):   # pandas' own string columns (the default in pandas 3)
        return True
    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")


def _by_unique(column: pd.Series, fmt, missing: str) -> np.ndarray:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.array([fmt(u) for u in uniques] + [missing], dtype=object)
    return texts[codes]  # code -1 (missing) takes the last entry


def _csv_string(value: str) -> str:
    if any(mark in value for mark in _CSV_QUOTED):
        return '"' + value.replace('"', '""') + '"'
    return value


def _numeric_text(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "iu":   # Python's str of an int is numpy's text, and faster than astype(str)
        text = np.empty(len(values), dtype=object)
        text[:] = list(map(str, values.tolist()))
        return text
    if values.dtype == np.float64:   # repr is numpy's shortest text too, and faster
        text = np.empty(len(values), dtype=object)
        text[:] = list(map(repr, values.tolist()))
        return text
    return values.astype(str).astype(object)


def csv_cells(column: pd.Series) -> np.ndarray | None:
    """Cells as ``DataFrame.to_csv`` writes them (missing → empty), or None."""
    if _plain_strings(column):
        texts = _by_unique(column, _csv_string, "")
        return None if any(b in t for t in set(texts) for b in _CSV_LINE_BREAKS) else texts
    if not isinstance(column.dtype, np.dtype):
        return None
    kind = column.dtype.kind
    if kind in "iub":   # bool: numpy's "True"/"False", as to_csv writes them
        return _numeric_text(column.to_numpy())
    if kind == "f":
        values = column.to_numpy()
        text = _numeric_text(values)
        text[np.isnan(values)] = ""
        return text
    return None


def json_cells(column: pd.Series) -> np.ndarray | None:
    """Cells as JSON text, as ``templates.dumps`` writes them (missing → null), or None."""
    if _plain_strings(column):
        return _by_unique(column, dumps, "null")
    if not isinstance(column.dtype, np.dtype):
        return None
    kind = column.dtype.kind
    values = column.to_numpy()
    if kind in "iu":
        return _numeric_text(values)
    if kind == "b":
        return np.where(values, "true", "false").astype(object)
    if kind == "f":
        values = values.astype(np.float64)   # json.dumps sees Python floats: float32 widened first
        text = _numeric_text(values)
        text[np.isnan(values)] = "null"
        text[np.isposinf(values)] = dumps(math.inf)    # json.dumps' own spelling
        text[np.isneginf(values)] = dumps(-math.inf)
        return text
    return None


def frame_cells(frame: pd.DataFrame, kind: str) -> list[tuple[str, ...]] | None:
    """Rows of cell texts (``kind``: "csv" or "json"), or None when a column needs the general path."""
    convert = csv_cells if kind == "csv" else json_cells
    columns = []
    for position in range(frame.shape[1]):
        cells = convert(frame.iloc[:, position])
        if cells is None:
            return None
        columns.append(cells.tolist())
    return list(zip(*columns))


# ------------------------------------------------------------------------------ Arrow columns

@dataclass(frozen=True)
class Cells:
    """One column's cells for ``analyzer.predictor.bulk``: ``array`` holds the cell texts (no nulls);
    ``raw`` holds values that Arrow's CSV writer writes as ``to_csv`` does (ints, strings with
    nulls) when it is given, else the texts are used."""

    array: pa.Array
    raw: pa.Array | None = None


def _texts(cells: np.ndarray) -> pa.Array:
    return pa.array(cells.tolist(), type=pa.string())


def _from_texts(column: pd.Series, kind: str) -> Cells | None:
    texts = (csv_cells if kind == "csv" else json_cells)(column)
    return None if texts is None else Cells(_texts(texts))


def _arrow_strings(column: pd.Series) -> pa.Array | None:
    values = pa.array(column, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):   # pandas' Arrow-backed strings
        values = values.combine_chunks()
    return values if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) else None


def _strings(column: pd.Series, kind: str) -> Cells | None:
    """Each distinct string formatted once (as ``csv_cells``/``json_cells`` do), spread by Arrow."""
    values = _arrow_strings(column)
    if values is None:
        return _from_texts(column, kind)   # e.g. every value missing (Arrow's null type)
    encoded = values.dictionary_encode()
    uniques = encoded.dictionary.to_pylist()
    if kind == "csv":
        if any(b in text for text in uniques for b in _CSV_LINE_BREAKS):
            return None
        texts, missing = [_csv_string(text) for text in uniques], ""
    else:
        texts, missing = [dumps(text) for text in uniques], "null"
    cells = pa.array(texts, type=pa.string()).take(encoded.indices)
    return Cells(cells.fill_null(missing) if cells.null_count else cells, raw=values)


def arrow_cells(column: pd.Series, kind: str) -> Cells | None:
    """A column's cells (``kind``: "csv" or "json") with the texts of ``csv_cells``/``json_cells``,
    or None."""
    if _plain_strings(column):
        return _strings(column, kind)
    if not isinstance(column.dtype, np.dtype) or column.dtype.kind not in "iu":
        found = _from_texts(column, kind)   # floats, bools: never quoted in CSV, so the texts are raw too
        return found if found is None else Cells(found.array, raw=found.array)
    values = pa.array(column.to_numpy())   # ints: Arrow writes Python's decimal text
    return Cells(values.cast(pa.string()), raw=values)


def csv_raw(column: pd.Series) -> pa.Array | None:
    """What Arrow's CSV writer (no quoting) writes as ``to_csv`` would, without formatting strings or
    ints: the writer itself refuses strings that need quotes."""
    if _plain_strings(column):
        return _arrow_strings(column)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":
        return pa.array(column.to_numpy())
    found = arrow_cells(column, "csv")
    return None if found is None else found.raw
