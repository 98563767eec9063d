"""Request bodies assembled by Arrow: no Python work per row or per cell.

A record's text is a *layout*: fixed text pieces and feature cells, e.g. ``{"features":[`` cell 0
``,`` cell 1 ``]}`` for the JSON Lines template ``{"features":$features}``. The layout is found by
rendering one row of marker cells through the general templates (so it is their text by
construction); the cells come from ``cells.arrow_cells`` a column at a time, and one Arrow
``binary_join_element_wise`` call makes every record. CSV requests whose cells need no quoting go
through Arrow's CSV writer instead (ints and strings as they are). Both give the bytes of the
general path (tested on random frames against it); anything they cannot do returns None and the
caller takes the next path.
"""
from __future__ import annotations

import io
import re
from typing import BinaryIO, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from analyzer.predictor.cells import Cells, arrow_cells, csv_raw

_MARK = "\x00"
_MARK_SPLIT = re.compile("\x00(\\d+)\x00")
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="none")

Piece = str | int   # fixed text, or the index of a feature cell
Layout = list[Piece]


def marker_cells(width: int) -> list[str]:
    """Cell texts that stand for "cell i" when a template renders them."""
    return [f"{_MARK}{i}{_MARK}" for i in range(width)]


def layout(rendered: str) -> Layout | None:
    """A text rendered from ``marker_cells`` → its layout (None if the template itself holds a marker)."""
    parts = _MARK_SPLIT.split(rendered)   # text, index, text, index, ..., text
    if any(_MARK in part for part in parts[::2]):
        return None
    return [int(part) if i % 2 else part for i, part in enumerate(parts)]


def records(cells: list[Cells], pieces: Layout, separator: str) -> str | None:
    """Every row's record text, each followed by ``separator``, as one string."""
    if not any(isinstance(p, int) for p in pieces) or not cells or not len(cells[0].array):
        return None
    args: list = []
    for piece in pieces + [separator]:
        if isinstance(piece, int):
            args.append(cells[piece].array)
        elif piece:
            args.append(pa.scalar(piece, pa.string()))
    try:
        joined = pc.binary_join_element_wise(*args, "")
    except pa.ArrowException:   # e.g. more than 2 GiB of text in one string array: the general path
        return None
    if isinstance(joined, pa.ChunkedArray):
        joined = pa.concat_arrays(joined.chunks)
    _, offsets, data = joined.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32 if joined.type == pa.string() else np.int64)
    start, stop = int(bounds[joined.offset]), int(bounds[joined.offset + len(joined)])
    return memoryview(data)[start:stop].tobytes().decode("utf-8")


def frame_columns(frame: pd.DataFrame, kind: str) -> list[Cells] | None:
    """Every column's cells (``kind``: "csv" or "json"), or None when one needs another path."""
    if not len(frame):
        return None
    columns = []
    for position in range(frame.shape[1]):
        found = arrow_cells(frame.iloc[:, position], kind)
        if found is None:
            return None
        columns.append(found)
    return columns


def csv_body(frame: pd.DataFrame) -> bytes | None:
    """The CSV request (``to_csv`` without header or index), or None."""
    if not len(frame) or frame.shape[1] < 2:   # one-column CSV: the csv module quotes an empty cell
        return None
    raw = [csv_raw(frame.iloc[:, position]) for position in range(frame.shape[1])]
    if all(column is not None for column in raw):   # Arrow's writer, if no cell needs quotes
        sink = io.BytesIO()
        try:
            pa_csv.write_csv(pa.table(raw, names=[str(i) for i in range(len(raw))]), sink, _CSV_OPTIONS)
            return sink.getvalue()
        except pa.ArrowException:   # a cell that needs quotes (ArrowInvalid), or anything else: next path
            pass
    columns = frame_columns(frame, "csv")
    text = None if columns is None else records(columns, layout(",".join(marker_cells(len(columns)))) or [], "\n")
    return None if text is None else text.encode("utf-8")


def json_records(frame: pd.DataFrame, render: Callable[[list[str]], str], separator: str) -> str | None:
    """Every row rendered by ``render`` (a function of one row's JSON cell texts) and followed by
    ``separator``, or None."""
    pieces = layout(render(marker_cells(frame.shape[1])))
    columns = frame_columns(frame, "json") if pieces is not None else None
    if columns is None or pieces is None:
        return None
    return records(columns, pieces, separator)


FILE_BLOCK_ROWS = 65_536   # rows per block written to a file: memory stays bounded for any frame


def write_frame_csv(frame: pd.DataFrame, sink: BinaryIO, header: bool = True) -> None:
    """``frame.to_csv(index=False)`` into ``sink`` (header line, then the rows), a block of rows at a
    time, each block made in bulk when it can be (rows are independent, so blocks join up; without
    ``header``, more rows for a file already begun)."""
    if header:
        sink.write(frame.iloc[:0].to_csv(index=False, lineterminator="\n").encode("utf-8"))
    for start in range(0, len(frame), FILE_BLOCK_ROWS):
        block = frame.iloc[start:start + FILE_BLOCK_ROWS]
        body = csv_body(block)
        sink.write(body if body is not None else
                   block.to_csv(header=False, index=False, lineterminator="\n").encode("utf-8"))


def frame_csv(frame: pd.DataFrame) -> bytes:
    """``write_frame_csv`` into bytes."""
    sink = io.BytesIO()
    write_frame_csv(frame, sink)
    return sink.getvalue()
