"""The columnar path: the common case of captured traffic read without a Python object per record.

When every capture and ground-truth file is plain (see ``fast``), each event holds one CSV
record and a one-line model output, and each ground truth is one CSV label, then the join
(``inferenceId``, then ``eventId``), the features, the labels and the model output are all
read from whole Arrow columns: the payloads of all events are joined into one buffer and parsed
in one call by the same parsers the careful path uses (``records``, ``analyzer.formats``).
Anything else returns None and the careful path (``events``, ``ground_truth``, ``records``)
reads the data and names the line at fault. Tests check both paths give the same Dataset.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.capture.events import CONTENT_TYPES, Events, read_events
from analyzer.capture.fast import CAPTURE_SCHEMA, TRUTH_SCHEMA, capture_arrays, concat, joined_lines, parse_files
from analyzer.capture.fast import truth_arrays
from analyzer.capture.records import csv_frame, csv_label_column
from analyzer.capture.window import TimeWindow, event_time
from analyzer.errors import DataError
from analyzer.formats import CSV, JSONLINES, ModelOutput, ResponseCodec, ResponseError


@dataclass
class CaptureColumns:
    """Captured events in file order as Arrow columns (the names of ``Events``' lists)."""

    files: list[Path]
    arrays: dict[str, pa.Array]
    file_index: np.ndarray
    line: np.ndarray
    outside_window: int = 0

    def __len__(self) -> int:
        return len(self.file_index)

    def take(self, rows: np.ndarray) -> "CaptureColumns":
        indices = pa.array(rows)
        return CaptureColumns(self.files, {name: a.take(indices) for name, a in self.arrays.items()},
                              self.file_index[rows], self.line[rows], self.outside_window)

    def to_events(self) -> Events:
        """The careful path's representation of the same events."""
        events = Events(files=self.files, outside_window=self.outside_window)
        for name in ("inputs", "input_types", "outputs", "output_types", "inference_ids", "event_ids"):
            setattr(events, name, self.arrays[name].to_pylist())
        events.truths = [None] * len(self)
        events.locations = list(zip(self.file_index.tolist(), self.line.tolist(), strict=True))
        return events


def read_columns(files: list[Path], window: TimeWindow) -> CaptureColumns | Events:
    """The events of ``files`` in ``window``: columnar when every file is plain, else ``Events``."""
    tables = parse_files(files, CAPTURE_SCHEMA)
    arrays = None
    if files and all(t is not None for t in tables):
        arrays = capture_arrays(concat(tables), CONTENT_TYPES)
    if arrays is None:
        return read_events(files, window, tables)
    rows = [t.num_rows for t in tables]  # type: ignore[union-attr]
    file_index = np.repeat(np.arange(len(files)), rows)
    line = np.concatenate([np.arange(1, n + 1) for n in rows])
    columns = CaptureColumns(list(files), arrays, file_index, line)
    if window.unbounded:
        return columns
    times = [event_time(t) if isinstance(t, str) else None for t in arrays["times"].to_pylist()]
    if any(t is None for t in times):   # the careful path names the line
        return read_events(files, window, tables)
    inside = np.flatnonzero([window.contains(t) for t in times])  # type: ignore[arg-type]
    kept = columns.take(inside) if len(inside) < len(times) else columns
    kept.outside_window = len(times) - len(inside)
    return kept


def read_truth(files: list[Path]) -> tuple[pa.Array, pa.Array] | None:
    """(eventIds, CSV label texts) of ground-truth files when all are plain with CSV labels, else None.
    A repeated id keeps the last upload (the rows are reversed: a lookup finds the first)."""
    tables = parse_files(files, TRUTH_SCHEMA)
    if not files or any(t is None for t in tables):
        return None
    arrays = truth_arrays(concat(tables))
    if arrays is None or not pc.all(pc.equal(arrays[2], "CSV")).as_py():
        return None
    keys, data = arrays[0], arrays[1]
    if pc.count_distinct(keys).as_py() < len(keys):
        reverse = pa.array(np.arange(len(keys) - 1, -1, -1))
        keys, data = keys.take(reverse), data.take(reverse)
    return keys, data


def join(columns: CaptureColumns, keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(events that have ground truth, the row of ``keys`` for each): inferenceId, then eventId."""
    by_inference = pc.index_in(columns.arrays["inference_ids"], value_set=keys, skip_nulls=True)
    by_event = pc.index_in(columns.arrays["event_ids"], value_set=keys, skip_nulls=True)
    found = pc.coalesce(by_inference, by_event).to_numpy(zero_copy_only=False)
    found = np.where(np.isnan(found), -1, found).astype(np.int64) if found.dtype.kind == "f" else found
    rows = np.flatnonzero(found >= 0)
    return rows, found[rows]


def features(columns: CaptureColumns) -> pd.DataFrame | None:
    """The feature frame when every event is one CSV record, else None."""
    if not pc.all(pc.equal(columns.arrays["input_types"], CSV)).as_py():
        return None
    joined = joined_lines(columns.arrays["inputs"])
    if joined is None:
        return None
    try:
        frame = csv_frame(joined)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    return frame if len(frame) == len(columns) else None


def labels(data: pa.Array, rows: np.ndarray) -> pd.Series | None:
    """The CSV label of each matched event (``rows`` of the ground truth), or None."""
    joined = joined_lines(data.take(pa.array(rows)))
    if joined is None:
        return None
    try:
        return csv_label_column(joined, len(rows), "").reset_index(drop=True)
    except DataError:
        return None


def outputs(columns: CaptureColumns, codec: Any) -> ModelOutput | None:
    """The decoded model output (every event one line of one content type), or None.
    ``codec(kind)`` gives the ResponseCodec for a content type."""
    kinds = pc.unique(columns.arrays["output_types"]).to_pylist()
    if len(kinds) != 1 or kinds[0] not in (CSV, JSONLINES):
        return None
    joined = joined_lines(columns.arrays["outputs"])
    if joined is None:
        return None
    decoder: ResponseCodec = codec(kinds[0])
    try:
        return decoder.decode(joined, len(columns))
    except ResponseError:
        return None
