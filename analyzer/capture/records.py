"""Captured payloads → records: feature rows from the inputs, model outputs from the responses.

Bulk first: the inputs (and outputs) of all events of one content type are joined and parsed in
one call, which is what makes millions of captured records fast. The responses are decoded with
``analyzer.formats.responses``, the predictor's own parsing. When the bulk result cannot be
matched to the events (a count differs), events are parsed one by one so the error names the
file and line of the event at fault.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Sequence

import jmespath
import numpy as np
import pandas as pd

from analyzer.capture.events import Events
from analyzer.errors import DataError
from analyzer.formats import CSV, JSON, JSONLINES
from analyzer.formats import ModelOutput, ResponseCodec, ResponseError


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _line_count(text: str) -> int:
    stripped = text.strip()
    if not stripped:
        return 0
    return 1 if "\n" not in stripped else len(_lines(stripped))


def single_lines(texts: Sequence[str]) -> str | None:
    """The texts joined by newlines when each is exactly one non-empty line, else None. Checked
    with C-level string operations: the common case (one record per event) costs no Python loop."""
    joined = "\n".join(texts)
    if joined.count("\n") == len(texts) - 1 and "\r" not in joined and "" not in texts:
        return joined
    return None


def _json_rows(text: str, features: Any, whole: bool, where: str) -> list[list]:
    """Feature rows of one JSON / JSON Lines payload. ``features`` is a compiled JMESPath or None."""
    try:
        documents = [json.loads(text)] if whole else [json.loads(line) for line in _lines(text)]
    except ValueError as exc:
        raise DataError(f"{where}: captured input is not JSON ({exc}).") from None
    rows: list[list] = []
    for document in documents:
        value = features.search(document) if features is not None else document
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            rows.extend(value)           # a batch: a list of records
        elif isinstance(value, list):
            rows.append(value)
        else:
            hint = "" if features is not None else " (set 'features' to the JMESPath of the feature list)"
            raise DataError(f"{where}: captured input record is not a list of feature values{hint}: "
                            f"{json.dumps(document)[:120]}")
    return rows


def csv_frame(texts: Sequence[str] | bytes) -> pd.DataFrame:
    """Many CSV payloads (or their lines joined already) as one frame, parsed as the text/csv
    dataset reader parses a file."""
    if isinstance(texts, bytes):
        return pd.read_csv(io.BytesIO(texts), header=None, skip_blank_lines=True)
    joined = "\n".join(t.strip("\r\n") for t in texts)
    return pd.read_csv(io.StringIO(joined), header=None, skip_blank_lines=True)


def _group(values: list, kinds: list, kind: Any) -> tuple[list[int], list]:
    """(indices, values) of the events of one content type; no per-event loop when all share it."""
    if kinds.count(kind) == len(kinds):
        return list(range(len(kinds))), list(values)
    members = [i for i, k in enumerate(kinds) if k == kind]
    return members, [values[i] for i in members]


def feature_rows(events: Events, features: str | None) -> tuple[pd.DataFrame, list[int]]:
    """(frame of feature values with integer columns, records per event) in event order."""
    expression = jmespath.compile(features) if features else None
    counts = [0] * len(events)
    parts: list[tuple[np.ndarray, pd.DataFrame]] = []
    for kind in sorted(set(events.input_types)):
        members, texts = _group(events.inputs, events.input_types, kind)
        if kind == CSV:
            joined = single_lines(texts)
            if joined is not None and len(members) == len(counts):
                counts = [1] * len(counts)
            else:
                for i, text in zip(members, texts, strict=True):
                    counts[i] = 1 if joined is not None else _line_count(text)
            try:
                frame = csv_frame([joined] if joined is not None else texts)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
                raise DataError(f"Captured CSV input cannot be parsed ({exc}); first event: "
                                f"{events.where(members[0])}.") from None
            lines = len(members) if joined is not None else sum(counts[i] for i in members)
            if len(frame) != lines:   # quoted newlines: records != lines
                raise DataError(f"Captured CSV input: {len(frame)} records parsed from {lines} lines; records "
                                f"with embedded newlines are not supported (first event: "
                                f"{events.where(members[0])}).")
        else:
            rows = []
            for i, text in zip(members, texts, strict=True):
                found = _json_rows(text, expression, kind == JSON, events.where(i))
                counts[i] = len(found)
                rows.extend(found)
            widths = {len(r) for r in rows}
            if len(widths) > 1:
                raise DataError(f"Captured {kind} input: records have different numbers of features "
                                f"({sorted(widths)}).")
            frame = pd.DataFrame(rows)
        order = np.repeat(np.asarray(members), [counts[i] for i in members])
        parts.append((order, frame))
    return _in_event_order(parts), counts


def _in_event_order(parts: list[tuple[np.ndarray, pd.DataFrame]]) -> pd.DataFrame:
    if len(parts) == 1:
        return parts[0][1].reset_index(drop=True)
    widths = {frame.shape[1] for _, frame in parts}
    if len(widths) > 1:
        raise DataError(f"Captured inputs of different content types have different numbers of features "
                        f"({sorted(widths)}).")
    order = np.concatenate([o for o, _ in parts])
    frame = pd.concat([f for _, f in parts], ignore_index=True)
    return frame.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _attribute(value: Any, kind: str) -> Any:
    """Model Monitor passes attributes as strings; a CSV response is addressed by column index."""
    if kind == CSV and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def model_codec(kind: str, label: Any, probability: Any, label_headers: tuple[str, ...] | None) -> ResponseCodec:
    return ResponseCodec(accept_type=kind, label=_attribute(label, kind),
                         probability=_attribute(probability, kind), label_headers=label_headers)


def _decode(codec: ResponseCodec, body: str, expected: int, where: str) -> ModelOutput:
    try:
        return codec.decode(body.encode("utf-8"), expected)
    except ResponseError as exc:
        raise DataError(f"{where}: the captured model output {exc}.") from None


def _concat(outputs: list[ModelOutput]) -> ModelOutput:
    if len(outputs) == 1:
        return outputs[0]
    has_scores = {o.scores is not None for o in outputs}
    has_labels = {o.labels is not None for o in outputs}
    if len(has_scores) > 1 or len(has_labels) > 1:
        raise DataError("Captured model outputs differ in shape: some hold scores and some labels.")
    scores = None
    if outputs[0].scores is not None:
        widths = {o.scores.shape[1] for o in outputs if o.scores is not None}
        if len(widths) > 1:
            raise DataError(f"Captured model outputs have different numbers of scores ({sorted(widths)}).")
        scores = np.concatenate([o.scores for o in outputs if o.scores is not None])
    labels = None
    if outputs[0].labels is not None:
        labels = np.empty(sum(len(o) for o in outputs), dtype=object)
        labels[:] = [v for o in outputs if o.labels is not None for v in o.labels]
        if not any(isinstance(v, (list, tuple, np.ndarray)) for v in labels[:1]):
            labels = np.asarray(list(labels))
    return ModelOutput(scores=scores, labels=labels, score_names=outputs[0].score_names)


def model_outputs(events: Events, counts: list[int], label: Any, probability: Any,
                  label_headers: tuple[str, ...] | None) -> ModelOutput:
    """The decoded model output for every record, in event order."""
    missing = events.outputs.count(None)
    if missing:
        raise DataError(f"{events.where(events.outputs.index(None))}: the event has no captureData.endpointOutput; "
                        f"{missing} event(s) lack the model output that the analysis needs.")
    groups: list[tuple[list[int], ModelOutput]] = []
    for kind in sorted({k for k in events.output_types if k is not None}):
        members, bodies = _group(events.outputs, events.output_types, kind)
        codec = model_codec(kind, label, probability, label_headers)
        pairs = zip(members, bodies, strict=True)
        expected = sum(counts) if len(members) == len(counts) else sum(counts[i] for i in members)
        joined = single_lines(bodies) if expected == len(members) else None
        if joined is None and kind in (CSV, JSONLINES) and all(_line_count(b) == counts[i] for i, b in pairs):
            joined = "\n".join(b.strip("\r\n") for b in bodies)
        output = None
        if joined is not None and kind in (CSV, JSONLINES):
            try:
                output = codec.decode(joined.encode("utf-8"), expected)
            except ResponseError:
                output = None        # decoded again event by event below, to name the event
        if output is None:
            output = _concat([_decode(codec, b, counts[i], events.where(i))
                              for i, b in zip(members, bodies, strict=True)])
        groups.append((members, output))
    if len(groups) == 1:
        return groups[0][1]
    order = np.concatenate([np.repeat(np.asarray(m), [counts[i] for i in m]) for m, _ in groups])
    merged = _concat([o for _, o in groups])
    permutation = np.argsort(order, kind="stable")
    return ModelOutput(
        scores=None if merged.scores is None else merged.scores[permutation],
        labels=None if merged.labels is None else merged.labels[permutation],
        score_names=merged.score_names)


def parse_csv_labels(lines: list[str], where: str) -> pd.Series:
    """Ground-truth CSV labels, parsed like a CSV label column (same dtype inference as the dataset)."""
    return csv_label_column("\n".join(lines), len(lines), where)


def csv_label_column(text: str | bytes, count: int, where: str) -> pd.Series:
    """``count`` newline-separated CSV labels (text or UTF-8 bytes) as one column."""
    try:
        frame = pd.read_csv(io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text), header=None,
                            skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"Ground truth ({where}) cannot be parsed as CSV ({exc}).") from None
    if frame.shape[1] != 1 or len(frame) != count:
        raise DataError(f"Ground truth ({where}): expected one label per record, found {frame.shape[1]} "
                        "CSV column(s).")
    return frame.iloc[:, 0]
