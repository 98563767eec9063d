"""Will a dataset read whole fit in memory? An estimate from the files, checked before reading.

Reading a dataset the machine cannot hold used to end minutes later in a MemoryError or the
kernel's OOM kill (exit 137, no message). The data's size as text (gzip: the uncompressed size in
its trailer; Parquet: the row groups' uncompressed size) bounds the table it becomes: a table is
never much smaller than :data:`LEAST_TABLE_PER_TEXT_BYTE` of its text (long float texts are the
most compact), and usually about its size or more (strings, small integers). So the job stops at
once (exit 3, the data files) when even the smallest table cannot fit in the memory available
(``MemAvailable``, or less under a cgroup limit), and warns when the usual size may not fit.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

from analyzer.config import AnalysisConfig
from analyzer.errors import DataError
from analyzer.stages.chunked import KNOB, available_memory, not_chunkable

log = logging.getLogger("sagemaker-clarify-processing")

#: The smallest table per byte of text: float64 from texts like "0.12345678901234567," (20 bytes).
LEAST_TABLE_PER_TEXT_BYTE = 0.4
#: A table about as large as its text, plus pandas' parsing copies: warn above this share of memory.
WARN_SHARE = 0.5
GIB = 2**30


def text_bytes(path: Path) -> int:
    """The file's size as text: gzip's uncompressed size (ISIZE, mod 2^32: at least the file's own
    size), Parquet's uncompressed row groups, else the size on disk."""
    size = path.stat().st_size
    try:
        with path.open("rb") as f:
            magic = f.read(4)
            if magic[:2] == b"\x1f\x8b" and size >= 18:
                f.seek(-4, 2)
                return max(size, int.from_bytes(f.read(4), "little"))
        if magic == b"PAR1":
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path)
            return max(size, sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)))
    except Exception:  # noqa: BLE001 - a damaged file: its reader names the problem; here, its size
        pass
    return size


def _size(n: float) -> str:
    return f"{n / GIB:,.2f} GiB" if n >= GIB else f"{n / 2**20:,.1f} MiB"


def check_fits(config: AnalysisConfig, files: Sequence[Path], available: int | None = None) -> None:
    """Stop (DataError) when the dataset cannot fit in memory read whole; warn when it may not."""
    text = sum(text_bytes(path) for path in files)
    have = available_memory() if available is None else available
    least = text * LEAST_TABLE_PER_TEXT_BYTE
    where = f"{len(files)} file(s), {_size(text)} as text"
    chunked = not_chunkable(config)
    fix = (f"it is read whole because {chunked}" if chunked else f"read it in chunks ({KNOB})")
    if least > have:
        raise DataError(f"The dataset ({where}) needs at least {_size(least)} of memory read whole, more than "
                        f"the {_size(have)} available on this machine; use an instance with more "
                        f"memory or fewer rows ({fix}).")
    if text > have * WARN_SHARE:
        log.warning("The dataset (%s) may not fit in the %s of memory available read whole (%s).",
                    where, _size(have), fix)
