"""text/csv: header detection (Clarify's rules) and reading of one or many part files."""
from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import zlib
from pathlib import Path
from typing import Sequence

import pandas as pd

from analyzer.errors import ConfigError, DataError

log = logging.getLogger("analyzer.data")

_SAMPLE_ROWS = 50
# The csv module refuses fields over 128 KiB by default; a long text field is data, not an error.
FIELD_LIMIT = 64 * 2**20
csv.field_size_limit(FIELD_LIMIT)
_CHUNKED_ABOVE_BYTES = 64 * 2**20
_CHUNK_ROWS = 250_000


def _open_text(path: Path) -> io.TextIOBase:
    """Text of a data file; a UTF-8 byte order mark is not part of the first column's name."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


#: What a damaged file raises while it is read: truncated gzip (EOFError), bad deflate data
#: (zlib.error), bad bytes (UnicodeDecodeError), and the parsers' own errors.
READ_ERRORS = (UnicodeDecodeError, csv.Error, OSError, EOFError, zlib.error, ValueError)


def _peek_rows(path: Path, count: int = _SAMPLE_ROWS) -> list[list[str]]:
    try:
        with _open_text(path) as f:
            rows = []
            for row in csv.reader(f):
                if row:
                    rows.append(row)
                if len(rows) >= count:
                    break
            return rows
    except READ_ERRORS as exc:
        raise DataError(f"Cannot read {path} as text/csv: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    """A read error on one line, without echoing file content."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start} of a chunk: {exc.reason})"
    if isinstance(exc, EOFError):
        return "the compressed file ends early (truncated)"
    if isinstance(exc, zlib.error):
        return "the compressed data is damaged"
    text = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _json_object_line(path: Path) -> dict | None:
    """The first non-blank line parsed as a JSON object, or None when it is not one."""
    try:
        with _open_text(path) as f:
            for line in f:
                if line.strip():
                    text = line.strip()
                    break
            else:
                return None
    except (UnicodeDecodeError, OSError, EOFError):
        return None
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _refuse_json_rows(path: Path) -> None:
    """A "CSV" whose rows are JSON objects would split into garbage columns at every comma: say
    which format it probably is instead."""
    document = _json_object_line(path)
    if document is None:
        return
    if "captureData" in document:
        likely = ("SageMaker data capture (Model Monitor's capture JSON Lines, "
                  "dataset_type application/sagemakercapturejson)")
    else:
        likely = "JSON Lines (dataset_type application/jsonlines, with 'features' and 'label' as JMESPath)"
    keys = ", ".join(list(map(str, document))[:5])
    raise DataError(f"{path}: dataset_type is text/csv but its rows are JSON objects (keys: {keys}); "
                    f"it looks like {likely}.")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def looks_like_header(rows: Sequence[Sequence[str]]) -> bool:
    """True when the first row reads as column names rather than data.

    A header row has only non-empty, non-numeric, distinct cells, and either some column is
    numeric below it, or none of its cells reappears as a value in its own column.
    """
    if not rows:
        return False
    first, body = rows[0], rows[1:]
    cells = [c.strip() for c in first]
    if not all(cells) or any(_is_number(c) for c in cells) or len(set(cells)) != len(cells):
        return False
    if not body:
        return True
    numeric_below = any(
        any(_is_number(r[i].strip()) for r in body if i < len(r)) for i in range(len(cells))
    )
    if numeric_below:
        return True
    return all(cells[i] not in {r[i].strip() for r in body if i < len(r)} for i in range(len(cells)))


def _header_rows(path: Path, headers: Sequence[str] | None, detected: list[str] | None) -> tuple[int, list[str] | None]:
    """(rows to skip, column names found in the file) for one part file."""
    rows = _peek_rows(path, _SAMPLE_ROWS)
    if not rows:
        return 0, None
    first = [c.strip() for c in rows[0]]
    if headers is not None:
        if first == list(headers):
            log.info("%s: the first row equals the configured headers; skipping it as a header row.", path)
            return 1, None
        if looks_like_header(rows):
            log.warning("%s: the first row %s looks like a header but differs from the configured 'headers'; "
                        "it is read as data.", path, first)
        return 0, None
    if detected is not None:  # later part files: skip a repeated header row
        return (1, None) if first == detected else (0, None)
    if looks_like_header(rows):
        log.info("%s: the first row looks like a header; using it as column names.", path)
        return 1, first
    return 0, None


def _read_part(path: Path, skip: int) -> pd.DataFrame:
    """One CSV file. Large files are parsed in row chunks: pandas' parser otherwise holds its token
    buffers for the whole file next to the result, peaking at over twice the file size."""
    if path.stat().st_size <= _CHUNKED_ABOVE_BYTES:
        return pd.read_csv(path, header=None, skiprows=skip, skip_blank_lines=True, encoding="utf-8-sig")
    with pd.read_csv(path, header=None, skiprows=skip, skip_blank_lines=True, encoding="utf-8-sig",
                     chunksize=_CHUNK_ROWS) as reader:
        return pd.concat(list(reader), ignore_index=True)


def read_csv(files: Sequence[Path], headers: Sequence[str] | None) -> pd.DataFrame:
    """Read CSV part files into one frame. ``headers`` from the config win over any header row."""
    frames = []
    columns: list[str] | None = list(headers) if headers is not None else None
    detected: list[str] | None = None
    for path in files:
        _refuse_json_rows(path)
        skip, found = _header_rows(path, headers, detected)
        if found is not None:
            detected = found
            columns = found
        try:
            frame = _read_part(path, skip)
        except pd.errors.EmptyDataError:
            continue
        except (pd.errors.ParserError, *READ_ERRORS) as exc:
            raise DataError(f"Cannot parse {path} as text/csv: {_reason(exc)}") from None
        if columns is None:
            columns = [f"column_{i}" for i in range(frame.shape[1])]
            log.info("%s: no header row found and no 'headers' configured; naming columns column_0..column_%d.",
                     path, frame.shape[1] - 1)
        if frame.shape[1] != len(columns):
            source = "'headers' in the config" if headers is not None else "the header row"
            error = ConfigError if headers is not None else DataError  # fixed where the wrong count is
            raise error(f"{path}: rows have {frame.shape[1]} columns but {source} names {len(columns)} "
                        f"({', '.join(columns)[:300]}).")
        frame.columns = columns
        frames.append(frame)
    if not frames:
        raise DataError(f"The dataset has no rows: {', '.join(map(str, files))}.")
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
