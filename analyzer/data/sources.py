"""Where data comes from: a URI (local path now; s3:// in the storage issue) → local files to read."""
from __future__ import annotations

import logging
from pathlib import Path

from analyzer.errors import DataError, StorageError

log = logging.getLogger("analyzer.data")

# Files a producer leaves next to part files that are not data.
_IGNORED_NAMES = {"_SUCCESS", ".DS_Store"}


def _is_data_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith((".", "_")) and path.name not in _IGNORED_NAMES


def resolve_files(uri: str | Path, *, what: str = "dataset") -> list[Path]:
    """The data files behind ``uri``: the file itself, or every file under a directory (recursively,
    in sorted path order, hidden and marker files skipped)."""
    text = str(uri)
    if text.startswith("s3://"):
        raise StorageError(f"{what} {text}: S3 URIs are not supported yet in this build; "
                           "download the data and pass a local path.")
    if text.startswith("file://"):
        text = text[len("file://"):]
    path = Path(text)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if _is_data_file(p))
        if not files:
            raise DataError(f"{what} {path}: the directory contains no data files.")
        return files
    if not path.exists():
        raise DataError(f"{what} {path}: no such file or directory.")
    raise DataError(f"{what} {path}: not a regular file or directory.")
