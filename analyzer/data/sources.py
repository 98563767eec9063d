"""Where data comes from: a URI (local file or directory, file://, s3:// object or prefix) → local files.

The storage layer (:mod:`analyzer.storage`) does the work; this is the entry point every reader uses.
"""
from __future__ import annotations

from pathlib import Path

from analyzer.storage import fetch


def resolve_files(uri: str | Path, *, what: str = "dataset", content_type: str | None = None) -> list[Path]:
    """The data files behind ``uri``: the file itself, or every data file under a directory or S3 prefix
    (recursively, in sorted order, hidden, ``_``-prefixed and marker files skipped). S3 objects are
    downloaded to the job's scratch area. With ``content_type`` (the dataset_type), files that cannot
    be of that type fail early, naming the URI."""
    return fetch(uri, what=what, content_type=content_type)
