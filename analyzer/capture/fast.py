"""The fast path for plain capture and ground-truth files: Arrow's JSON reader (C++, multithreaded).

It takes files whose every line has the common shape (CSV or JSON encoded text with a known
``observedContentType``; ground truth as CSV or JSON text with an ``eventId``) and returns the
same columns the line-by-line reader in ``events`` / ``ground_truth`` would. Anything else —
BASE64, merged or batch-transform records, blank lines, a malformed line, a field of another
type — returns None, and the caller reads that file line by line, which names the bad line.
Tests check both paths give the same result.
"""
from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as paj

_PART = pa.struct([("observedContentType", pa.string()), ("data", pa.string()), ("encoding", pa.string())])
_META = pa.struct([("eventId", pa.string()), ("inferenceId", pa.string()), ("inferenceTime", pa.string())])
_CAPTURE = pa.schema([
    ("captureData", pa.struct([("endpointInput", _PART), ("endpointOutput", _PART),
                               ("batchTransformOutput", _PART)])),
    ("eventMetadata", _META),
    ("groundTruthData", _PART),
])
_TRUTH = pa.schema([("groundTruthData", _PART), ("eventMetadata", _META)])
_TEXT_ENCODINGS = {"CSV", "JSON"}


def _table(path: Path, schema: pa.Schema) -> pa.Table | None:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    # Line numbers are row numbers only without blank lines; CR and BOMs go the careful way too.
    if not raw or b"\n\n" in raw or raw.startswith((b"\n", b"\xef\xbb\xbf")) or b"\r" in raw:
        return None
    options = paj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = paj.read_json(io.BytesIO(raw), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1):
        return None
    return table


def _struct(table: pa.Table, name: str) -> pa.StructArray:
    return table.column(name).combine_chunks()


def _field(array: pa.StructArray, name: str) -> pa.Array:
    """A struct's child with the struct's own nulls applied (``StructArray.field`` ignores them)."""
    return pc.struct_field(array, name)


def _plain_part(part: pa.StructArray, kinds: dict[str, str], allow_missing: bool) -> list | None:
    """The content type of each row's payload (None where absent), or None when a present payload
    is not plain CSV/JSON text of a known content type."""
    data = _field(part, "data")
    if data.null_count and not allow_missing:
        return None
    encodings = _field(part, "encoding").filter(data.is_valid())
    if encodings.null_count or not set(pc.unique(encodings).to_pylist()) <= _TEXT_ENCODINGS:
        return None
    observed = _field(part, "observedContentType").to_pylist()
    known = {value: _kind(value, kinds) for value in set(observed)}
    if not data.null_count:
        return None if None in known.values() else [known[o] for o in observed]
    present = data.is_valid().to_pylist()
    types = [known[o] if p else None for o, p in zip(observed, present, strict=True)]
    if any(t is None for t, p in zip(types, present, strict=True) if p):
        return None
    return types


def _kind(observed: str | None, kinds: dict[str, str]) -> str | None:
    if not isinstance(observed, str):
        return None
    return kinds.get(observed.split(";")[0].strip().lower())


def capture_columns(path: Path, kinds: dict[str, str]) -> dict[str, list] | None:
    """Columns of a plain capture file (inputs, input_types, outputs, output_types, inference_ids,
    event_ids, times), or None to read it line by line."""
    table = _table(path, _CAPTURE)
    if table is None:
        return None
    capture = _struct(table, "captureData")
    if capture.null_count or table.column("groundTruthData").null_count != table.num_rows:
        return None
    if _field(capture, "batchTransformOutput").null_count != table.num_rows:
        return None
    inputs, outputs = _field(capture, "endpointInput"), _field(capture, "endpointOutput")
    input_types = _plain_part(inputs, kinds, allow_missing=False)
    output_types = _plain_part(outputs, kinds, allow_missing=True)
    if input_types is None or output_types is None:
        return None
    meta = _struct(table, "eventMetadata")
    return {
        "inputs": _field(inputs, "data").to_pylist(),
        "input_types": input_types,
        "outputs": _field(outputs, "data").to_pylist(),
        "output_types": output_types,
        "inference_ids": _ids(_field(meta, "inferenceId")),
        "event_ids": _ids(_field(meta, "eventId")),
        "times": _field(meta, "inferenceTime").to_pylist(),
    }


def _ids(values: pa.Array) -> list[Any]:
    return [v or None for v in values.to_pylist()]


def truth_columns(path: Path) -> tuple[list, list, list] | None:
    """(keys, data, encodings) of a plain ground-truth file, or None to read it line by line."""
    table = _table(path, _TRUTH)
    if table is None:
        return None
    truth, meta = _struct(table, "groundTruthData"), _struct(table, "eventMetadata")
    data, keys_array = _field(truth, "data"), _field(meta, "eventId")
    if data.null_count or keys_array.null_count:
        return None
    encodings = _field(truth, "encoding")
    if encodings.null_count or not set(pc.unique(encodings).to_pylist()) <= _TEXT_ENCODINGS:
        return None
    keys = keys_array.to_pylist()
    if not all(keys):
        return None
    return keys, data.to_pylist(), encodings.to_pylist()
