"""One data file read from a given row on (a Dask worker reading its own shard of the dataset), and
the index that lets it start there without reading the rows before.

Reading a shard from row ``r`` of a file must not parse rows ``0..r-1``, or the shards together parse
the file once per shard. :func:`index_file` counts a file's rows and finds where to start cheaply:

- CSV: a scan of the bytes (numpy, block by block) finds the first byte of every :data:`GRAIN`-th data
  row, so a reader seeks there. Data rows are the non-blank lines; that holds when no quote character
  follows the header row (no field spans lines) and no line ends in a lone CR; otherwise (and for
  gzip files) the rows are counted by parsing, and a reader parses up to its row;
- JSON Lines: lines are counted, and skipped without parsing them as JSON;
- Parquet: the row groups' sizes (file metadata); a reader starts at the row group holding its row.

Whatever the start, :func:`file_frames` gives the rows a whole read gives from that row on, with the
same chunk reader as :func:`analyzer.data.open_chunks`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Iterator, Sequence

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data.chunks import _csv_chunks, _header_rows, _jsonlines_chunks, _lines, _parquet_chunks, csv_frames
from analyzer.formats import CSV, JSONLINES

#: A CSV index holds the first byte of every GRAIN-th data row.
GRAIN = 1024
_BLOCK = 4 << 20
_QUOTE, _CR, _LF = ord('"'), ord("\r"), ord("\n")
_BLANK = np.zeros(256, dtype=bool)
_BLANK[[ord(" "), ord("\t"), _CR, _LF]] = True      # pandas skips lines of only these (skip_blank_lines)


@dataclass(frozen=True)
class FileIndex:
    rows: int                             # data rows in the file
    offsets: tuple[int, ...] = ()         # CSV: first byte of data rows 0, GRAIN, 2*GRAIN, ... (empty: none)
    groups: tuple[int, ...] = ()          # Parquet: rows per row group


@dataclass(frozen=True)
class Start:
    """Where a reader of data row ``row`` starts: at ``byte`` (CSV, data row ``at``) or at row group
    ``group`` (Parquet, whose first data row is ``at``); it reads on from ``at`` to ``row``."""

    row: int = 0
    at: int = 0
    byte: int | None = None
    group: int = 0


def start_of(index: FileIndex, row: int) -> Start:
    """The cheapest place to start reading data row ``row`` of the indexed file."""
    if index.offsets:
        k = min(row // GRAIN, len(index.offsets) - 1)
        return Start(row, k * GRAIN, index.offsets[k])
    at = group = 0
    for size in index.groups:
        if at + size > row:
            break
        at, group = at + size, group + 1
    return Start(row, at, None, group)


def index_file(config: AnalysisConfig, path: Path, columns: Sequence[str], detected: Sequence[str] | None) -> FileIndex:
    """The file's rows, and where a reader may start (see the module doc); ``columns`` and ``detected``
    as for :func:`file_frames`."""
    kind = config.dataset_type.lower()
    if kind == CSV:
        skip, _ = _header_rows(path, config.headers, list(detected) if detected is not None else None)
        scanned = csv_row_offsets(path, skip)
        if scanned is not None:
            return FileIndex(scanned[0], tuple(scanned[1]))
        dtype = {i: object for i in range(len(columns))}   # counted, not typed
        return FileIndex(sum(len(f) for f in csv_frames(path, path, skip, 1 << 16, dtype, list(columns),
                                                        config.headers)))
    if kind == JSONLINES:
        return FileIndex(sum(1 for _ in _lines(path)))
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    groups = tuple(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups))
    return FileIndex(sum(groups), groups=groups)


def csv_row_offsets(path: Path, skip: int) -> tuple[int, list[int]] | None:
    """(data rows, first byte of data rows 0, grain, 2 * grain, ...) of a CSV file after ``skip`` header
    lines, or None when bytes cannot tell its rows (gzip, a quote character after the header, a lone CR,
    a blank line before the header)."""
    grain = GRAIN
    with open(path, "rb") as f:
        if f.read(2) == b"\x1f\x8b":
            return None
        f.seek(0)
        position = 0
        for _ in range(skip):
            line = f.readline()
            if not line.strip():
                return None
            position += len(line)
        rows, offsets = 0, list[int]()
        line_start, content = position, False       # the line that continues into the next block
        previous_cr = False
        while True:
            block = f.read(_BLOCK)
            if not block:
                break
            a = np.frombuffer(block, dtype=np.uint8)
            if (a == _QUOTE).any():
                return None
            cr = np.flatnonzero(a == _CR)
            if previous_cr and a[0] != _LF:
                return None
            inner = cr[cr + 1 < len(a)]
            if len(inner) and (a[inner + 1] != _LF).any():
                return None
            previous_cr = len(cr) > 0 and cr[-1] == len(a) - 1
            ends = np.flatnonzero(a == _LF)
            starts = np.concatenate([[0], ends + 1])          # block-relative line starts (the first continues)
            filled = np.concatenate([[0], np.cumsum(~_BLANK[a], dtype=np.int64)])
            counts = filled[np.concatenate([ends, [len(a)]])] - filled[starts]
            line_starts = position + starts
            line_starts[0] = line_start
            has = counts > 0
            has[0] = has[0] or content
            complete = has[:-1]                             # lines ended in this block
            data_starts = line_starts[:-1][complete]
            numbers = rows + np.arange(len(data_starts))
            offsets.extend(int(b) for b in data_starts[numbers % grain == 0])
            rows += len(data_starts)
            line_start, content = int(line_starts[-1]), bool(has[-1])
            position += len(a)
        if content:                                         # a last line without a newline
            if rows % grain == 0:
                offsets.append(line_start)
            rows += 1
    return rows, offsets


def file_frames(config: AnalysisConfig, path: Path, rows: int, columns: Sequence[str], text: Collection[str],
                detected: Sequence[str] | None, start: Start = Start()) -> Iterator[pd.DataFrame]:
    """One data file of the dataset in chunks of at most ``rows``, from data row ``start.row`` on, read
    as :func:`~analyzer.data.open_chunks` reads it among the others: ``columns`` and ``detected`` (the
    header row of an earlier file, see :func:`~analyzer.data.csv_header`) are the whole dataset's."""
    kind = config.dataset_type.lower()
    if kind == CSV:
        if start.byte is None:
            frames = _csv_chunks([path], config.headers, list(columns), set(text), rows,
                                 list(detected) if detected is not None else None, some=False)
        else:
            dtype = {i: object for i, name in enumerate(columns) if name in set(text)}
            frames = _from_byte(path, start.byte, rows, dtype, list(columns), config.headers)
    elif kind == JSONLINES:
        frames = (t.frame for t in _jsonlines_chunks(config, [path], rows, skip=start.row))
        start = Start(start.row, start.row)
    else:
        frames = (t.frame for t in _parquet_chunks(config, [path], rows, first_group=start.group))
    yield from _from_row(frames, start.row - start.at)


def _from_byte(path: Path, byte: int, rows: int, dtype: dict, columns: list[str],
               headers: Sequence[str] | None) -> Iterator[pd.DataFrame]:
    with open(path, "rb") as handle:
        handle.seek(byte)
        yield from csv_frames(handle, path, 0, rows, dtype, columns, headers)


def _from_row(frames: Iterator[pd.DataFrame], skip: int) -> Iterator[pd.DataFrame]:
    """The frames without their first ``skip`` rows."""
    for frame in frames:
        if skip >= len(frame):
            skip -= len(frame)
            continue
        yield frame.iloc[skip:].reset_index(drop=True) if skip else frame
        skip = 0
