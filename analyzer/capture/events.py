"""Model Monitor capture files → events: one JSON line per captured request, payloads decoded.

A line looks like (``data`` is CSV or JSON text, or base64 when ``encoding`` is ``BASE64``)::

    {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                                        "data": "1,2,3\\n4,5,6", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "0.9\\n0.2", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "2024-01-19T05:31:46Z"},
     "eventVersion": "0"}

One event can carry several records (newline-separated input and output). Merged files (the
output of Model Monitor's merge job) add ``groundTruthData`` to the same line; batch-transform
captures hold ``captureData.batchTransformOutput``, one JSON document with the features and the
model output, which is then read as both the input and the output of the event.

Events are stored column-wise (parallel lists) because a monitoring window can hold millions.
"""
from __future__ import annotations

import base64
import itertools
import binascii
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa

from analyzer.capture.fast import CAPTURE_SCHEMA, capture_columns, parse_files
from analyzer.capture.window import TimeWindow, event_time
from analyzer.data import read_text
from analyzer.errors import DataError
from analyzer.formats import CSV, JSON, JSONLINES

log = logging.getLogger("analyzer.capture")

#: observedContentType values (lower case, parameters removed) → the content type we decode.
CONTENT_TYPES = {
    CSV: CSV, "text/plain": CSV, "application/csv": CSV,
    JSONLINES: JSONLINES, "application/jsonl": JSONLINES, "application/x-jsonlines": JSONLINES,
    "application/json-lines": JSONLINES, "application/jsonlines+json": JSONLINES,
    JSON: JSON, "text/json": JSON,
}


@dataclass
class Events:
    """Captured events in file order, as parallel lists (index i = event i)."""

    files: list[Path] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    input_types: list[str] = field(default_factory=list)
    outputs: list[str | None] = field(default_factory=list)
    output_types: list[str | None] = field(default_factory=list)
    inference_ids: list[str | None] = field(default_factory=list)
    event_ids: list[str | None] = field(default_factory=list)
    truths: list[tuple[str, str] | None] = field(default_factory=list)   # merged files: (data, encoding)
    locations: list[tuple[int, int]] = field(default_factory=list)      # (index into files, line number)
    outside_window: int = 0

    def __len__(self) -> int:
        return len(self.inputs)

    def where(self, i: int) -> str:
        file_index, line = self.locations[i]
        return f"{self.files[file_index]} line {line}"

    def select(self, keep: list[int]) -> "Events":
        pick = Events(files=self.files, outside_window=self.outside_window)
        for name in ("inputs", "input_types", "outputs", "output_types", "inference_ids", "event_ids",
                     "truths", "locations"):
            values = getattr(self, name)
            setattr(pick, name, [values[i] for i in keep])
        return pick


def content_type(observed: object, encoding: str, text: str) -> str:
    """The payload's content type: observedContentType when known, else guessed from encoding/content."""
    if isinstance(observed, str) and observed:
        kind = observed.split(";")[0].strip().lower()
        if kind in CONTENT_TYPES:
            return CONTENT_TYPES[kind]
    if encoding == "CSV":
        return CSV
    return JSONLINES if text.lstrip()[:1] in ("{", "[") else CSV


def decode_payload(part: object, what: str, where: str) -> tuple[str, str]:
    """(text, content type) of one captured payload (``endpointInput``, ``groundTruthData`` ...)."""
    if not isinstance(part, dict) or "data" not in part:
        raise DataError(f"{where}: {what} has no 'data'.")
    data, encoding = part["data"], str(part.get("encoding") or "").upper()
    if not isinstance(data, str):  # some writers put the JSON document itself
        data = json.dumps(data)
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{where}: {what} is marked BASE64 but does not decode to UTF-8 text ({exc}).") from None
    elif encoding not in ("CSV", "JSON", ""):
        raise DataError(f"{where}: {what} has encoding '{part.get('encoding')}'; expected CSV, JSON or BASE64.")
    return data, content_type(part.get("observedContentType"), encoding, data)


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def json_lines(path: Path) -> tuple[list[int], list]:
    """(line numbers, parsed records) of a JSON Lines file. All lines are parsed in one call (a
    JSON array built from them), which is several times faster than one call per line; a bad
    line is then found line by line so that the error names it."""
    lines = read_text(path).splitlines()
    if all(lines):
        numbers = list(range(1, len(lines) + 1))
        kept = lines
    else:
        numbers = [n for n, line in enumerate(lines, start=1) if line.strip()]
        kept = [lines[n - 1] for n in numbers]
    try:
        records = json.loads("[" + ",".join(kept) + "]")
        if len(records) == len(kept):
            return numbers, records
    except ValueError:
        pass
    records = []
    for n, line in zip(numbers, kept, strict=True):
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise DataError(f"{path} line {n}: not valid JSON ({exc}).") from None
    return numbers, records


class _Decoder:
    """decode_payload with a fast path for the common case (CSV/JSON text with a known content type)."""

    def __init__(self) -> None:
        self.kinds: dict[tuple[object, object], str | None] = {}

    def __call__(self, part: object, what: str, where: Callable[[], str]) -> tuple[str, str]:
        if type(part) is dict:
            data, encoding = part.get("data"), part.get("encoding")
            if type(data) is str and (encoding == "CSV" or encoding == "JSON"):
                key = (part.get("observedContentType"), encoding)
                kind = self.kinds.get(key, "")
                if kind == "":
                    observed = key[0].split(";")[0].strip().lower() if isinstance(key[0], str) else ""
                    kind = self.kinds[key] = CONTENT_TYPES.get(observed)
                if kind is not None:
                    return data, kind
        return decode_payload(part, what, where())


def _add_event(events: Events, record: dict, decode: _Decoder, where: Callable[[], str],
               location: tuple[int, int]) -> None:
    capture = record["captureData"]
    if "endpointInput" in capture:
        text, kind = decode(capture["endpointInput"], "captureData.endpointInput", where)
        events.inputs.append(text)
        events.input_types.append(kind)
        output = capture.get("endpointOutput")
        if output is not None:
            out, out_kind = decode(output, "captureData.endpointOutput", where)
            events.outputs.append(out)
            events.output_types.append(out_kind)
        else:
            events.outputs.append(None)
            events.output_types.append(None)
    elif "batchTransformOutput" in capture:
        text, kind = decode(capture["batchTransformOutput"], "captureData.batchTransformOutput", where)
        events.inputs.append(text)
        events.input_types.append(kind)
        events.outputs.append(text)
        events.output_types.append(kind)
    else:
        raise DataError(f"{where()}: captureData has no endpointInput (found: {', '.join(capture) or 'nothing'}).")
    meta = record.get("eventMetadata") or {}
    events.inference_ids.append(_text(meta.get("inferenceId")))
    events.event_ids.append(_text(meta.get("eventId")))
    truth = record.get("groundTruthData")
    if truth is not None:
        data, _ = decode(truth, "groundTruthData", where)
        events.truths.append((data, str(truth.get("encoding") or "CSV").upper()))
    else:
        events.truths.append(None)
    events.locations.append(location)


def _in_window(record: dict, window: TimeWindow, where: Callable[[], str]) -> bool:
    meta = record.get("eventMetadata")
    stamp = meta.get("inferenceTime") if isinstance(meta, dict) else None
    if stamp is None:
        raise DataError(f"{where()}: eventMetadata.inferenceTime is missing; it is needed for the time window.")
    when = event_time(str(stamp))
    if when is None:
        raise DataError(f"{where()}: eventMetadata.inferenceTime '{stamp}' is not an ISO 8601 time.")
    return window.contains(when)


def _add_fast(events: Events, columns: dict[str, list], file_index: int, window: TimeWindow) -> bool:
    """Append the columns of a file read by the fast path; False when an event's time needs the
    careful path (missing or unreadable: it names the line)."""
    rows: Sequence[int] = range(len(columns["inputs"]))
    if not window.unbounded:
        times = [event_time(t) if isinstance(t, str) else None for t in columns["times"]]
        if any(t is None for t in times):
            return False
        rows = [i for i, t in enumerate(times) if t is not None and window.contains(t)]
        events.outside_window += len(times) - len(rows)
        columns = {name: [values[i] for i in rows] for name, values in columns.items()}
    for name in ("inputs", "input_types", "outputs", "output_types", "inference_ids", "event_ids"):
        getattr(events, name).extend(columns[name])
    events.truths.extend([None] * len(rows))
    events.locations.extend(zip(itertools.repeat(file_index), [i + 1 for i in rows], strict=False))
    return True


def read_events(files: list[Path], window: TimeWindow, tables: list[pa.Table | None] | None = None) -> Events:
    """Every captured event in ``files`` (in order) whose inferenceTime is inside ``window``.
    ``tables``: the files as parsed by the fast path already (None where it could not)."""
    events = Events(files=list(files))
    decode = _Decoder()
    bounded = not window.unbounded
    if tables is None:
        tables = parse_files(files, CAPTURE_SCHEMA)
    for file_index, path in enumerate(files):
        table = tables[file_index]
        columns = None if table is None else capture_columns(table, CONTENT_TYPES)
        if columns is not None and _add_fast(events, columns, file_index, window):
            continue
        numbers, records = json_lines(path)
        for lineno, record in zip(numbers, records, strict=True):
            def where(path: Path = path, lineno: int = lineno) -> str:
                return f"{path} line {lineno}"

            if type(record) is not dict or type(record.get("captureData")) is not dict:
                raise DataError(f"{where()}: not a Model Monitor capture record (no 'captureData' object).")
            if bounded and not _in_window(record, window, where):
                events.outside_window += 1
                continue
            _add_event(events, record, decode, where, (file_index, lineno))
    return events
