"""Content sniffing of downloaded and local files: gzip by magic bytes, and the declared type."""
from __future__ import annotations

import codecs
import gzip
import zlib
from pathlib import Path

from analyzer.errors import DataError
from analyzer.formats import PARQUET, find_format

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_SNIFF_BYTES = 64 * 1024


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def normalise_gzip_suffix(path: Path) -> Path:
    """Make the ``.gz`` suffix say the truth, because readers decide on it: gzip data stored without
    the suffix (S3 ``Content-Encoding: gzip``) gains it, a ``.gz`` name holding plain data loses it."""
    gz = is_gzip(path)
    if gz and path.suffix != ".gz":
        return path.rename(path.with_name(path.name + ".gz"))
    if not gz and path.suffix == ".gz":
        return path.rename(path.with_suffix(""))
    return path


def _head(path: Path) -> bytes:
    """The first bytes of the (decompressed) content."""
    with open(path, "rb") as f:
        raw = f.read(_SNIFF_BYTES)
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        with gzip.open(path, "rb") as f:
            return f.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: starts like gzip but cannot be decompressed: {exc}") from None


def check_content(path: Path, content_type: str | None, where: str) -> None:
    """Fail early, naming ``where`` (the URI), when a file cannot be of the declared dataset type
    (how to tell is the format's ``sniff`` in :data:`analyzer.formats.FORMATS`)."""
    kind = (content_type or "").lower()
    readable = find_format(kind)
    sniff = readable.sniff if readable else None
    if sniff == "parquet":
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic != PARQUET_MAGIC:
            start = "gzip-compressed data" if magic[:2] == GZIP_MAGIC else f"bytes {magic!r}"
            raise DataError(f"{where}: not an {PARQUET} file (it starts with {start}, not the Parquet "
                            "magic 'PAR1'); check dataset_type.")
    elif sniff == "text":
        head = _head(path)
        if head[:4] == PARQUET_MAGIC:
            raise DataError(f"{where}: not a {kind} file (it is Parquet); set dataset_type to {PARQUET}.")
        try:
            if b"\x00" in head:
                raise ValueError("it contains NUL bytes")
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except ValueError as exc:
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise DataError(f"{where}: not a {kind} file (binary or non-UTF-8 content: {reason}); "
                            "check dataset_type.") from None
