"""The fast path for plain capture and ground-truth files: Arrow's JSON reader (C++, multithreaded).

It takes files whose every line has the common shape (CSV or JSON encoded text with a known
``observedContentType``; ground truth as CSV or JSON text with an ``eventId``) and returns the
same columns the line-by-line reader in ``events`` / ``ground_truth`` would. Anything else —
BASE64, merged or batch-transform records, blank lines, a malformed line, a field of another
type — returns None, and the caller reads that file line by line, which names the bad line.
Tests check both paths give the same result.

Files are parsed in batches (many small files joined into one buffer) so that Arrow splits the
work into blocks over all cores; a batch that does not parse is parsed again file by file.
"""
from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as paj

_PART = pa.struct([("observedContentType", pa.string()), ("data", pa.string()), ("encoding", pa.string())])
_META = pa.struct([("eventId", pa.string()), ("inferenceId", pa.string()), ("inferenceTime", pa.string())])
CAPTURE_SCHEMA = pa.schema([
    ("captureData", pa.struct([("endpointInput", _PART), ("endpointOutput", _PART),
                               ("batchTransformOutput", _PART)])),
    ("eventMetadata", _META),
    ("groundTruthData", _PART),
])
TRUTH_SCHEMA = pa.schema([("groundTruthData", _PART), ("eventMetadata", _META)])
_TEXT_ENCODINGS = {"CSV", "JSON"}
#: Bytes of raw JSON lines parsed in one call: large enough for Arrow to use every core (it splits
#: a buffer into blocks of BLOCK_BYTES), small enough that the raw text of one batch stays modest.
BATCH_BYTES = 64 * 1024**2
BLOCK_BYTES = 4 * 1024**2


def _raw(path: Path) -> bytes | None:
    """The file's bytes, or None when it needs the careful reader. Line numbers are row numbers
    only without blank lines; CR and BOMs go the careful way too."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if not raw or b"\n\n" in raw or raw.startswith((b"\n", b"\xef\xbb\xbf")) or b"\r" in raw:
        return None
    return raw if raw.endswith(b"\n") else raw + b"\n"


def _parse(raw: bytes, schema: pa.Schema, rows: int) -> pa.Table | None:
    options = paj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = paj.read_json(io.BytesIO(raw), parse_options=options,
                              read_options=paj.ReadOptions(block_size=BLOCK_BYTES))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return table if table.num_rows == rows else None


def parse_files(paths: Sequence[Path], schema: pa.Schema) -> list[pa.Table | None]:
    """One table per file (None: read that file line by line), parsed in batches of files."""
    tables: list[pa.Table | None] = [None] * len(paths)
    batch: list[tuple[int, bytes, int]] = []

    def flush() -> None:
        joined = _parse(b"".join(raw for _, raw, _ in batch), schema, sum(n for _, _, n in batch))
        offset = 0
        for index, raw, rows in batch:
            if joined is not None:
                tables[index] = joined.slice(offset, rows)
                offset += rows
            else:   # a bad file in the batch: each alone, so only that one goes the careful way
                tables[index] = _parse(raw, schema, rows)
        batch.clear()

    size = 0
    for index, path in enumerate(paths):
        raw = _raw(path)
        if raw is None:
            continue
        batch.append((index, raw, raw.count(b"\n")))
        size += len(raw)
        if size >= BATCH_BYTES:
            flush()
            size = 0
    if batch:
        flush()
    return tables


def _struct(table: pa.Table, name: str) -> pa.ChunkedArray:
    return table.column(name)   # chunked (one chunk per parsed block): combining would copy every string


def _field(array: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """A struct's child with the struct's own nulls applied (``StructArray.field`` ignores them)."""
    return pc.struct_field(array, name)


def _plain_part(part: pa.ChunkedArray, kinds: dict[str, str], allow_missing: bool) -> pa.ChunkedArray | None:
    """The content type of each row's payload (null where absent), or None when a present payload
    is not plain CSV/JSON text of a known content type."""
    data = _field(part, "data")
    if data.null_count and not allow_missing:
        return None
    valid = pc.is_valid(data)
    encodings = _field(part, "encoding").filter(valid)
    if encodings.null_count or not set(pc.unique(encodings).to_pylist()) <= _TEXT_ENCODINGS:
        return None
    observed = _field(part, "observedContentType")
    distinct = pc.unique(observed.filter(valid)).to_pylist()
    known = {value: _kind(value, kinds) for value in distinct}
    if None in known.values():
        return None
    keys = list(known)
    types = pc.take(pa.array([known[k] for k in keys], pa.string()), pc.index_in(observed, pa.array(keys, pa.string())))
    return pc.if_else(valid, types, pa.scalar(None, pa.string()))


def _kind(observed: str | None, kinds: dict[str, str]) -> str | None:
    if not isinstance(observed, str):
        return None
    return kinds.get(observed.split(";")[0].strip().lower())


def _ids(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty ids are no ids (as the line reader reads them)."""
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def capture_arrays(table: pa.Table, kinds: dict[str, str]) -> dict[str, pa.ChunkedArray] | None:
    """Columns of plain capture lines (inputs, input_types, outputs, output_types, inference_ids,
    event_ids, times) as Arrow arrays, or None to read the lines one by one."""
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
        "inputs": _field(inputs, "data"),
        "input_types": input_types,
        "outputs": _field(outputs, "data"),
        "output_types": output_types,
        "inference_ids": _ids(_field(meta, "inferenceId")),
        "event_ids": _ids(_field(meta, "eventId")),
        "times": _field(meta, "inferenceTime"),
    }


def capture_columns(table: pa.Table, kinds: dict[str, str]) -> dict[str, list] | None:
    """:func:`capture_arrays` as Python lists, or None to read the file line by line."""
    arrays = capture_arrays(table, kinds)
    return None if arrays is None else {name: array.to_pylist() for name, array in arrays.items()}


def truth_arrays(table: pa.Table) -> tuple[pa.ChunkedArray, pa.ChunkedArray, pa.ChunkedArray] | None:
    """(keys, data, encodings) of plain ground-truth lines, or None to read them one by one."""
    truth, meta = _struct(table, "groundTruthData"), _struct(table, "eventMetadata")
    data, keys = _field(truth, "data"), _field(meta, "eventId")
    if data.null_count or keys.null_count:
        return None
    encodings = _field(truth, "encoding")
    if encodings.null_count or not set(pc.unique(encodings).to_pylist()) <= _TEXT_ENCODINGS:
        return None
    if len(keys) and pc.min(pc.binary_length(keys)).as_py() == 0:
        return None
    return keys, data, encodings


def truth_columns(table: pa.Table) -> tuple[list, list, list] | None:
    """:func:`truth_arrays` as Python lists, or None to read the file line by line."""
    arrays = truth_arrays(table)
    return None if arrays is None else tuple(a.to_pylist() for a in arrays)


def joined_lines(values: pa.Array | pa.ChunkedArray) -> bytes | None:
    """The strings joined by newlines when each is exactly one non-empty line without CR, else
    None: :func:`analyzer.capture.records.single_lines` without a Python string per value."""
    if values.null_count or not len(values):
        return None
    if pc.min(pc.binary_length(values)).as_py() == 0:
        return None
    ended = pc.binary_join_element_wise(values, pa.scalar("\n"), pa.scalar(""))
    if isinstance(ended, pa.ChunkedArray):
        ended = ended.combine_chunks()
    if ended.type != pa.string():
        ended = ended.cast(pa.string())
    offsets = np.frombuffer(ended.buffers()[1], dtype=np.int32)[ended.offset:ended.offset + len(ended) + 1]
    raw = ended.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()
    if raw.count(b"\n") != len(values) or b"\r" in raw:
        return None
    return raw[:-1]


def concat(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)

