"""Which files under a directory or S3 prefix are data: one rule for local paths and S3 keys.

Producers (Spark, Hadoop, SageMaker, Finder) leave files next to part files that are not data:
``_SUCCESS``, ``_temporary/…``, ``.crc`` side files, ``.DS_Store``, "directory marker" keys.
Like Hadoop's input filter, any path component starting with ``.`` or ``_`` hides what is below it.
"""
from __future__ import annotations

from typing import Sequence

IGNORED_NAMES = frozenset({"_SUCCESS", ".DS_Store"})


def is_data_part(parts: Sequence[str]) -> bool:
    """True when a file at ``parts`` (path components relative to the directory/prefix) is data."""
    if not parts or not parts[-1]:  # an empty last component is an S3 "directory marker" key ("a/b/")
        return False
    return not any(p.startswith((".", "_")) or p in IGNORED_NAMES for p in parts)


def part_order(parts: Sequence[str]) -> tuple[str, ...]:
    """Sort key: component-wise, so local paths and S3 keys come out in the same order."""
    return tuple(parts)
