"""Bias on a dataset read in chunks: bounded memory for data larger than memory.

:func:`chunk_plan` decides whether a job reads its dataset in chunks (the knob ``--chunk-rows`` /
``ANALYZER_CHUNK_ROWS``: ``auto``, ``off`` or a number of rows); :func:`run_chunked` then streams the
chunks: each goes through the model when post-training needs predictions, and is reduced to counts of
its distinct (facet, label, predicted label, group) rows (:mod:`analyzer.bias.counts`). The bias
stage runs on those counts and gives the same analysis.json as on the whole dataset. FlipTest keeps
what it needs per row: its feature columns and the distinct row of each data row. Kernel SHAP and
PDP on chunks: :mod:`analyzer.stages.explain_chunks`.
"""
from __future__ import annotations

import logging
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data import resolve_files
from analyzer.errors import ConfigError
from analyzer.formats import CAPTURE_JSON
from analyzer.stages.chunked_counts import (ChunkedResult, Tally, count_chunk, log_counting_start, plan_counting,
                                            text_columns)

log = logging.getLogger("sagemaker-clarify-processing")

CHUNK_ROWS_ENV = "ANALYZER_CHUNK_ROWS"
KNOB = f"--chunk-rows ({CHUNK_ROWS_ENV})"
#: ``auto`` reads datasets larger than this in chunks (files as stored, compressed or not).
AUTO_ABOVE_BYTES = 64 * 2**20
MAX_CHUNK_ROWS = 10_000_000
#: ``auto`` chunk size: about 1/16 of the available memory at a generous 2 KiB per row, within bounds.
AUTO_ROWS_BOUNDS = (10_000, 250_000)
_BYTES_PER_ROW = 2048
PROGRESS_EVERY_S = 30.0


@dataclass(frozen=True)
class ChunkPlan:
    files: list[Path] | None     # the dataset's files (None: load_dataset resolves them)
    rows: int | None             # rows per chunk; None: the dataset is read whole


def parse_knob(value: str | None) -> int | str:
    """``auto`` (also unset or empty), ``off`` (also ``0``) or a number of rows in [1, 10,000,000]."""
    text = (value or "auto").strip().lower()
    if text in ("auto", "off"):
        return text
    try:
        rows = int(text.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{KNOB}: expected 'auto', 'off' or a number of rows, got {value!r}.") from None
    if rows == 0:
        return "off"
    if not 1 <= rows <= MAX_CHUNK_ROWS:
        raise ConfigError(f"{KNOB}: {rows} rows is out of range; give 1 to {MAX_CHUNK_ROWS:,}, 'auto' or 'off'.")
    return rows


def not_chunkable(config: AnalysisConfig) -> str | None:
    """Why this job reads its dataset whole, or None when it can read it in chunks."""
    from analyzer.data import CHUNKED_TYPES

    methods = config.methods
    if (config.dataset_type or "").lower() not in CHUNKED_TYPES:
        return f"dataset_type {config.dataset_type} is read whole"
    if not (methods.needs_bias or methods.needs_explanations):
        return "no bias metrics or explanations are requested"
    if methods.needs_explanations:
        from analyzer.stages.explain_chunks import not_streamable

        reason = not_streamable(config)
        if reason is not None:
            return reason
    if config.segment_config:
        return "segment_config reads the dataset whole"
    return None


def chunk_setting(flag: str | None) -> int | str:
    """The knob: the flag's value, else the environment's (see :func:`parse_knob`)."""
    return parse_knob(flag if flag is not None else os.environ.get(CHUNK_ROWS_ENV))


def chunk_plan(config: AnalysisConfig, uri: str | Path, value: int | str) -> ChunkPlan:
    """Whether and how to read the dataset in chunks (``value``: :func:`chunk_setting`); logged once."""
    if value == "off" or (config.dataset_type or "").lower() == CAPTURE_JSON:
        return ChunkPlan(None, None)
    files = resolve_files(uri, content_type=config.dataset_type)
    reason = not_chunkable(config)
    if reason is not None:
        if value != "auto":
            log.info("Reading the dataset whole although %s is set: %s.", KNOB, reason)
        return ChunkPlan(files, None)
    if value == "auto":
        size = sum(path.stat().st_size for path in files)
        if size <= AUTO_ABOVE_BYTES:
            return ChunkPlan(files, None)
        rows, why = auto_rows(), f"auto: the dataset has {size / 2**20:,.0f} MiB"
    else:
        rows, why = int(value), KNOB
    log.info("Reading the dataset in chunks of %d rows (%s); bias from counts of distinct rows.", rows, why)
    return ChunkPlan(files, rows)


def auto_rows() -> int:
    """Rows per chunk from the memory available to this process (cgroup limit included)."""
    low, high = AUTO_ROWS_BOUNDS
    return int(min(high, max(low, available_memory() // 16 // _BYTES_PER_ROW)))


def available_memory() -> int:
    """MemAvailable, or less when a cgroup (v2) limit leaves less."""
    available = 2**31
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(available, 0)


def run_chunked(config: AnalysisConfig, uri: str | Path, plan: ChunkPlan, predictor: Any = None) -> ChunkedResult:
    """The bias sections of a dataset read in chunks (see the module doc); ``predictor``: the job's open
    model session (else one is opened when post-training needs predictions)."""
    from analyzer.data import open_chunks
    from analyzer.stages import model_session

    assert plan.files is not None and plan.rows is not None
    chunks = open_chunks(config, uri, plan.files, plan.rows, text_columns(config))
    layout = chunks.layout
    counting = plan_counting(config, layout)
    tally = Tally(counting)
    with (nullcontext(predictor) if predictor is not None else model_session(config, layout)) as predictor:
        log_counting_start(config, counting)
        for frame in with_progress(chunks.frames()):
            tally.add(count_chunk(config, counting, frame, predictor, tally.counter.total))
    return tally.result(config, layout)


def with_progress(frames: Iterator[pd.DataFrame], every_s: float = PROGRESS_EVERY_S) -> Iterator[pd.DataFrame]:
    """The chunks, with a stop request honoured between them and a progress line every ``every_s``."""
    from analyzer import signals

    started = last = time.monotonic()
    rows = 0
    for frame in frames:
        signals.check()
        yield frame
        rows += len(frame)
        if time.monotonic() - last >= every_s:
            last = time.monotonic()
            log.info("Read %s rows in %.0f s (%.0f rows/s)", f"{rows:,}", last - started, rows / (last - started))

