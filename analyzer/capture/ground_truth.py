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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jmespath

from analyzer.capture.events import Events, decode_payload
from analyzer.data.json_reader import read_text
from analyzer.errors import DataError

log = logging.getLogger("analyzer.capture")


@dataclass(frozen=True)
class Truth:
    data: str
    encoding: str          # CSV or JSON (BASE64 is decoded on reading)
    where: str


def read_ground_truth(files: list[Path]) -> dict[str, Truth]:
    """eventId → ground truth, from every line of ``files``. A repeated id keeps the last upload."""
    found: dict[str, Truth] = {}
    for path in files:
        for lineno, line in enumerate(read_text(path).splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path} line {lineno}"
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{where}: not valid JSON ({exc}).") from None
            if not isinstance(record, dict) or "groundTruthData" not in record:
                raise DataError(f"{where}: not a ground-truth record (no 'groundTruthData').")
            meta = record.get("eventMetadata") or {}
            key = meta.get("eventId") or meta.get("inferenceId")
            if not key:
                raise DataError(f"{where}: ground truth without eventMetadata.eventId.")
            truth = record["groundTruthData"]
            data, kind = decode_payload(truth, "groundTruthData", where)
            encoding = str(truth.get("encoding") or "").upper()
            if encoding not in ("CSV", "JSON"):
                encoding = "JSON" if kind != "text/csv" else "CSV"
            found[str(key)] = Truth(data, encoding, where)
    return found


def match(events: Events, truths: dict[str, Truth]) -> tuple[list[int], list[Truth]]:
    """(indices of the events that have ground truth, their ground truth): inferenceId, then eventId.
    Truth embedded in merged files wins over the separate files."""
    kept, matched = [], []
    for i, (inference_id, event_id, embedded) in enumerate(zip(events.inference_ids, events.event_ids,
                                                               events.truths, strict=True)):
        if embedded is not None:
            kept.append(i)
            matched.append(Truth(embedded[0], embedded[1], events.where(i)))
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
    out: list[Any] = []
    from_csv: list[bool] = []
    for truth, count in zip(truths, counts, strict=True):
        lines = [line for line in truth.data.splitlines() if line.strip()] if "\n" in truth.data else [truth.data]
        if len(lines) != count:
            raise DataError(f"{truth.where}: the ground truth holds {len(lines)} label(s) but the captured event "
                            f"has {count} record(s); give one label per record, newline-separated.")
        if truth.encoding == "JSON":
            out.extend(_json_label(line, label, truth.where) for line in lines)
        else:
            out.extend(lines)
        from_csv.extend([truth.encoding != "JSON"] * len(lines))
    return out, from_csv
