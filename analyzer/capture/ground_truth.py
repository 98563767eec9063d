"""Ground-truth files and their join with captured events.

A ground-truth line (uploaded by the user under ``.../yyyy/mm/dd/hh/*.jsonl``)::

    {"groundTruthData": {"data": "1", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<the capture's inferenceId, or its eventId>"}, "eventVersion": "0"}

The join, as Model Monitor's merge job does it: an event's ``inferenceId`` is looked up first,
then its ``eventId``. Multi-record events (INFERRED; not documented by AWS): the ground truth
of an event with n records holds n newline-separated labels, in the order of the records, so
one ground-truth line labels the whole event; a different count is a data error naming both lines.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
import itertools
from itertools import repeat
from typing import Any

import jmespath

from analyzer.capture.events import Events, decode_payload, json_lines
import pyarrow as pa

from analyzer.capture.fast import TRUTH_SCHEMA, parse_files, truth_columns
from analyzer.capture.records import single_lines
from analyzer.errors import DataError
from analyzer.formats import CSV

log = logging.getLogger("analyzer.capture")


#: One ground truth: (data, encoding "CSV"|"JSON" (BASE64 is decoded on reading), file, line).
#: A plain tuple, because a million of them are made in C by zip().
Truth = tuple[str, str, Path, int]


def where(truth: Truth) -> str:
    return f"{truth[2]} line {truth[3]}"


def read_ground_truth(files: list[Path], tables: list[pa.Table | None] | None = None) -> dict[str, Truth]:
    """eventId → ground truth, from every line of ``files``. A repeated id keeps the last upload.
    ``tables``: the files as parsed by the fast path already (None where it could not)."""
    found: dict[str, Truth] = {}
    if tables is None:
        tables = parse_files(files, TRUTH_SCHEMA)
    for path, table in zip(files, tables, strict=True):
        fast = None if table is None else truth_columns(table)
        if fast is not None:
            keys, texts, encodings = fast
            rows = zip(texts, encodings, repeat(path), itertools.count(1))
            found.update(zip(keys, rows, strict=False))   # count() is endless
            continue
        numbers, records = json_lines(path)
        for lineno, record in zip(numbers, records, strict=True):
            truth = record.get("groundTruthData") if type(record) is dict else None
            meta = record.get("eventMetadata") if truth is not None else None
            key = (meta.get("eventId") or meta.get("inferenceId")) if type(meta) is dict else None
            data, encoding = (truth.get("data"), truth.get("encoding")) if type(truth) is dict else (None, None)
            if key and type(data) is str and (encoding == "CSV" or encoding == "JSON"):   # the common case
                found[str(key)] = (data, encoding, path, lineno)
                continue
            at = f"{path} line {lineno}"
            if truth is None:
                raise DataError(f"{at}: not a ground-truth record (no 'groundTruthData').")
            if not key:
                raise DataError(f"{at}: ground truth without eventMetadata.eventId.")
            data, kind = decode_payload(truth, "groundTruthData", at)
            encoding = str(truth.get("encoding") or "").upper()
            if encoding not in ("CSV", "JSON"):
                encoding = "JSON" if kind != CSV else "CSV"
            found[str(key)] = (data, encoding, path, lineno)
    return found


def match(events: Events, truths: dict[str, Truth]) -> tuple[list[int], list[Truth]]:
    """(indices of the events that have ground truth, their ground truth): inferenceId, then eventId.
    Truth embedded in merged files wins over the separate files."""
    if events.truths.count(None) == len(events):    # no merged records: lookups in comprehensions
        get = truths.get
        by_inference = map(get, events.inference_ids)   # type: ignore[arg-type]  # get(None) is None
        found = [t if t is not None else get(e)   # type: ignore[arg-type]
                 for t, e in zip(by_inference, events.event_ids, strict=True)]
        return [i for i, t in enumerate(found) if t is not None], [t for t in found if t is not None]
    kept: list[int] = []
    matched: list[Truth] = []
    for i, (inference_id, event_id, embedded) in enumerate(zip(events.inference_ids, events.event_ids,
                                                               events.truths, strict=True)):
        if embedded is not None:
            kept.append(i)
            file_index, line = events.locations[i]
            matched.append((embedded[0], embedded[1], events.files[file_index], line))
            continue
        truth = truths.get(inference_id) if inference_id is not None else None
        if truth is None and event_id is not None:
            truth = truths.get(event_id)
        if truth is not None:
            kept.append(i)
            matched.append(truth)
    return kept, matched


def _json_label(text: str, label: Any, where: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise DataError(f"{where}: ground truth '{text[:80]}' is not JSON ({exc}).") from None
    if not isinstance(value, dict):
        return value
    if isinstance(label, str):
        found = jmespath.search(label, value)
        if found is not None:
            return found
    if len(value) == 1:
        return next(iter(value.values()))
    raise DataError(f"{where}: ground truth {text[:80]} is an object; the config's 'label' ({label!r}) "
                    "should be the JMESPath of the label in it.")


def labels_per_record(truths: list[Truth], counts: list[int], label: Any) -> tuple[list[Any], list[bool]]:
    """One label per record, and whether it is CSV text (parsed later like a CSV column) rather than
    a JSON value. ``counts`` is the number of records of each event."""
    if len(counts) == sum(counts) and all(t[1] == "CSV" for t in truths):
        texts = [t[0] for t in truths]
        if single_lines(texts) is not None:      # one CSV label per event: the common case, no loop
            return texts, [True] * len(texts)
    out: list[Any] = []
    from_csv: list[bool] = []
    for truth, count in zip(truths, counts, strict=True):
        data, encoding = truth[0], truth[1]
        lines = [line for line in data.splitlines() if line.strip()] if "\n" in data else [data]
        if len(lines) != count:
            raise DataError(f"{where(truth)}: the ground truth holds {len(lines)} label(s) but the captured event "
                            f"has {count} record(s); give one label per record, newline-separated.")
        if encoding == "JSON":
            out.extend(_json_label(line, label, where(truth)) for line in lines)
        else:
            out.extend(lines)
        from_csv.extend([encoding != "JSON"] * len(lines))
    return out, from_csv
