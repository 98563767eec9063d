"""Workers that read their own rows: the dataset's files cut into shards (row ranges of one file), each
read by the Dask worker that works on it, so the leader never holds or sends the data.

The leader only lists the files (S3 objects are not downloaded there) and asks the workers for the
layout (the columns, from the first file) and each file's row count; :func:`prepare` then cuts the
files into shards of at most ``rows`` rows. A worker fetches a file once per job (an S3 object into its
scratch area, deleted by :func:`forget` when the job ends) and reads a shard's rows in chunks as the
one-host chunked reader does (:func:`analyzer.data.file_frames`), so every shard gives the rows, with
the types, of the same rows of a whole read. The data must be reachable from every worker (S3, or a
path every worker sees): :func:`prepare` checks that on every worker first and says which file and
worker when it is not.
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterator

import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.distributed.tasks import on_worker
from analyzer.errors import DataError

from analyzer.data import FileIndex, Start

if TYPE_CHECKING:
    from distributed import Client

    from analyzer.data import Dataset
    from analyzer.distributed.settings import ScaleSettings

log = logging.getLogger("sagemaker-clarify-processing")

_FILES: dict[tuple[str, str], Path] = {}     # (job token, file URI) -> this worker's local copy
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ShardSource:
    """What a worker needs to read the dataset itself (small: sent with every task)."""

    config: AnalysisConfig
    uri: str
    files: tuple[str, ...]                 # local paths or s3:// object URIs, in the job's order
    rows: int                              # rows per chunk a worker reads at a time
    text_columns: tuple[str, ...] = ()     # CSV columns kept as text (see analyzer.data.open_chunks)
    columns: tuple[str, ...] = ()          # CSV: the dataset's column names
    header: tuple[int, tuple[str, ...]] | None = None   # CSV: (file number, header row) of a whole read
    token: str = ""                        # the job's: a worker's downloads are kept for it


@dataclass(frozen=True)
class Shard:
    number: int      # 0, 1, ... in data order
    file: int        # the file it is part of (an index into ShardSource.files)
    first: int       # its first row within that file
    stop: int        # one past its last row within that file
    offset: int      # rows of the dataset before it
    start: Start = Start()   # where its reader starts in the file (analyzer.data.file_rows)

    @property
    def rows(self) -> int:
        return self.stop - self.first


def not_shardable(config: AnalysisConfig) -> str | None:
    """Why the workers cannot read this job's dataset themselves, or None."""
    from analyzer.data import CHUNKED_TYPES

    if (config.dataset_type or "").lower() not in CHUNKED_TYPES:
        return f"dataset_type {config.dataset_type} is read whole"
    if config.facet_dataset_uri or config.predicted_label_dataset_uri:
        return "datasets joined from other files are read whole"
    if config.segment_config:
        return "segment_config reads the dataset whole"
    return None


# ------------------------------------------------------------------------------------------ worker

def local_copy(source: ShardSource, number: int) -> Path:
    """File ``number`` of the dataset on this worker: its path, or (S3) a copy fetched once per job."""
    from analyzer.storage import fetch

    uri = source.files[number]
    key = (source.token, uri)
    with _LOCK:
        if key not in _FILES:
            (_FILES[key],) = fetch(uri, what="dataset", content_type=source.config.dataset_type)
        return _FILES[key]


def forget(token: str) -> int:
    """Delete this worker's copies of the job's S3 files (run on every worker when the job ends)."""
    from analyzer.storage import is_s3_uri

    with _LOCK:
        keys = [key for key in _FILES if key[0] == token]
        paths = [(_FILES.pop(key), is_s3_uri(key[1])) for key in keys]   # S3: a copy made here
    for path, fetched in paths:
        if fetched:
            path.unlink(missing_ok=True)
    return len(paths)


def _detected(source: ShardSource, number: int) -> tuple[str, ...] | None:
    """The header row a whole read skips in file ``number`` when it repeats (found in an earlier file)."""
    if source.header is not None and number > source.header[0]:
        return source.header[1]
    return None


def shard_frames(source: ShardSource, shard: Shard) -> Iterator[pd.DataFrame]:
    """The shard's rows in chunks of at most ``source.rows`` (run on a worker)."""
    from analyzer.data import file_frames

    frames = file_frames(source.config, local_copy(source, shard.file), source.rows, source.columns,
                         source.text_columns, _detected(source, shard.file), shard.start)
    left = shard.rows
    for frame in frames:
        part = frame.iloc[:left].reset_index(drop=True)
        left -= len(part)
        if len(part):
            yield part
        if left <= 0:
            return
    if left:
        raise DataError(f"{source.files[shard.file]}: {left} rows fewer than counted; did the file change "
                        "while the job ran?")


@on_worker
def read_layout(source: ShardSource) -> tuple[Dataset, tuple[str, ...], tuple[int, tuple[str, ...]] | None]:
    """(the dataset's layout as analyzer.data.open_chunks resolves it, the CSV columns, the CSV header
    row with the number of the first file that has it: usually the first, the only file fetched)."""
    from analyzer.data import csv_header, open_chunks
    from analyzer.formats import CSV

    layout = open_chunks(source.config, source.uri, [local_copy(source, 0)], source.rows).layout
    if (source.config.dataset_type or "").lower() != CSV:
        return layout, (), None
    header = None
    for number in range(len(source.files) if source.config.headers is None else 0):
        found = csv_header([local_copy(source, number)], None)
        if found is not None:
            header = (number, tuple(found[1]))
            break
    return layout, tuple(str(c) for c in layout.frame.columns), header


@on_worker
def index_rows(source: ShardSource, number: int) -> FileIndex:
    """File ``number``'s rows, and where a reader may start (analyzer.data.file_rows)."""
    from analyzer.data import index_file

    return index_file(source.config, local_copy(source, number), source.columns, _detected(source, number))


@on_worker
def check_files(source: ShardSource) -> str:
    """Every data file is readable from this worker (a local path it sees, or an S3 object it can head)."""
    from analyzer.distributed.tasks import worker_address
    from analyzer.storage import check_readable

    for uri in source.files:
        try:
            check_readable(uri)
        except DataError as exc:
            raise DataError(f"{exc.message} With Dask the workers read the data themselves, so it must be on S3 "
                            "or on a path every worker sees") from None
    return worker_address()


# ------------------------------------------------------------------------------------------ leader

def prepare(client: Client, config: AnalysisConfig, uri: str | Path, rows: int,
            text_columns: Callable[[Dataset], Collection[str]], settings: ScaleSettings,
            token: str) -> tuple[ShardSource, Dataset, list[Shard]]:
    """The shards of the dataset at ``uri`` (files listed here, read by the workers), its layout, and
    the source each task reads from; ``text_columns(layout)``: the CSV columns kept as text."""
    from analyzer.distributed.predictor import TASKS_PER_THREAD, wait_all
    from analyzer.storage import locate

    files = tuple(locate(uri, what="dataset"))
    source = ShardSource(config, str(uri), files, rows, token=token)
    workers = list(client.scheduler_info(n_workers=-1).get("workers", {}))
    checks = [client.submit(check_files, source, workers=[w], allow_other_workers=True, pure=False)
              for w in workers]
    wait_all(client, checks, settings, "check that the workers read the data", lambda i, v: None)
    found: list[Any] = []
    wait_all(client, [client.submit(read_layout, source, pure=False)], settings, "dataset layout",
             lambda i, value: found.append(value))
    layout, columns, header = found[0]
    text = tuple(name for name in columns if name in set(text_columns(layout)))
    source = replace(source, columns=columns, header=header, text_columns=text)
    indexes: list[FileIndex] = [FileIndex(0)] * len(files)
    futures = [client.submit(index_rows, source, i, pure=False) for i in range(len(files))]
    wait_all(client, futures, settings, "row count", lambda i, index: indexes.__setitem__(i, index))
    total = sum(index.rows for index in indexes)
    if total == 0:
        raise DataError(f"The dataset has no rows: {uri}.")
    threads = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info(n_workers=-1)["workers"].values()))
    size = min(rows, settings.chunk_rows or max(1, math.ceil(total / (threads * TASKS_PER_THREAD))))
    shards = cut(indexes, size)
    log.info("The workers read the dataset themselves: %d file(s), %s rows, in %d shards of up to %d rows.",
             len(files), f"{total:,}", len(shards), size)
    return replace(source, rows=size), layout, shards


def cut(indexes: list[FileIndex], size: int) -> list[Shard]:
    """Shards of at most ``size`` rows, in data order, never across files."""
    from analyzer.data import start_of

    shards: list[Shard] = []
    offset = 0
    for number, index in enumerate(indexes):
        for first in range(0, index.rows, size):
            stop = min(index.rows, first + size)
            shards.append(Shard(len(shards), number, first, stop, offset + first, start_of(index, first)))
        offset += index.rows
    return shards
