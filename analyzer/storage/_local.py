"""Local paths (and file:// URIs): a file, or the data files under a directory."""
from __future__ import annotations

from pathlib import Path

from analyzer.errors import DataError
from analyzer.storage._selection import is_data_part, part_order


def local_path(uri: str | Path) -> Path:
    text = str(uri)
    return Path(text[len("file://"):] if text.startswith("file://") else text)


def local_files(uri: str | Path, what: str) -> list[Path]:
    """The file itself, or every data file under a directory (recursive, sorted, markers skipped)."""
    path = local_path(uri)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = [(p.relative_to(path).parts, p) for p in path.rglob("*") if p.is_file()]
        files = [p for parts, p in sorted(found, key=lambda item: part_order(item[0])) if is_data_part(parts)]
        if not files:
            raise DataError(f"{what} {path}: the directory contains no data files.")
        return files
    if not path.exists():
        raise DataError(f"{what} {path}: no such file or directory.")
    raise DataError(f"{what} {path}: not a regular file or directory.")


def local_file(uri: str | Path, what: str) -> Path:
    path = local_path(uri)
    if path.is_file():
        return path
    if path.is_dir():
        raise DataError(f"{what} {path}: is a directory; expected a single file.")
    raise DataError(f"{what} {path}: no such file.")
