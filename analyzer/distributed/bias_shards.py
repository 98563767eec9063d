"""Bias metrics from shards the Dask workers read themselves (:mod:`analyzer.distributed.shards`).

Each task reads one shard's rows on a worker, adds the model's predicted labels there when
post-training needs them (the worker calls the model itself), and reduces every chunk to a
:class:`~analyzer.bias.counts.CountsPart` with the one-host chunked path's own function
(:func:`analyzer.stages.count_chunk`). The leader never holds the dataset: it merges
the parts in shard order (:func:`~analyzer.distributed.predictor.in_order`: early results wait, at
most a window of them) into the same :class:`~analyzer.stages.Tally` the one-host
path fills, so analysis.json is byte for byte the one-host chunked read's (:func:`analyzer.stages.run_chunked`,
itself a whole read's but for CSV datasets of several files, which a whole read types file by file).
FlipTest's feature columns come back with the parts, as the one-host path keeps them.
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from analyzer.config import AnalysisConfig
from analyzer.distributed.tasks import Done, WorkerModel, model_on_worker, on_worker, worker_name

if TYPE_CHECKING:
    import pandas as pd

    from analyzer.bias import CountsPart
    from analyzer.data import Dataset
    from analyzer.distributed.shards import Shard, ShardSource
    from analyzer.stages import ChunkedResult, Counting

log = logging.getLogger("sagemaker-clarify-processing")

PROGRESS_EVERY_S = 30.0


def _frames(source: ShardSource, shard: Shard) -> Iterator[pd.DataFrame]:
    from analyzer.distributed.shards import shard_frames

    return shard_frames(source, shard)


@on_worker
def count_shard(model: WorkerModel | None, config: AnalysisConfig, counting: Counting, source: ShardSource,
                shard: Shard) -> Done:
    """On a worker: the shard's rows read, predicted (``model``: when the model gives the labels) and
    counted chunk by chunk (``Done.value``: the list of :class:`~analyzer.bias.counts.CountsPart`)."""
    from analyzer.stages import count_chunk

    began = time.perf_counter()
    predictor = model_on_worker(model) if model is not None else None
    parts: list[CountsPart] = []
    first = shard.offset
    for frame in _frames(source, shard):
        parts.append(count_chunk(config, counting, frame, predictor, first))
        first += len(frame)
    return Done(parts, worker_name(), time.perf_counter() - began)


def run_sharded_bias(config: AnalysisConfig, predictor: Any, source: ShardSource, layout: Dataset,
                     shards: Sequence[Shard]) -> ChunkedResult:
    """The bias sections of the dataset the workers read in ``shards`` (see the module doc).

    ``predictor``: the job's :class:`~analyzer.distributed.predictor.DaskPredictor` (its ``client``,
    ``settings`` and ``model``, the model the workers open); a job whose predicted labels are in the data
    may pass anything with ``client`` and ``settings`` (a :class:`~analyzer.distributed.session.Cluster`).
    ``source``, ``layout``, ``shards``: :func:`analyzer.distributed.shards.prepare`'s, its ``text_columns``
    :func:`analyzer.stages.text_columns` of the config, or more columns (never fewer: ValueError)."""
    from analyzer.distributed.predictor import WINDOW_PER_THREAD, in_order, worker_shares
    from analyzer.stages import Tally, log_counting_start, plan_counting

    counting = plan_counting(config, layout)
    model = getattr(predictor, "model", None) if counting.model else None
    if counting.model and not isinstance(model, WorkerModel):   # the caller's to avoid: read on one host
        raise TypeError("run_sharded_bias: the model gives the predicted labels but the workers cannot call it "
                        f"({type(predictor).__name__} is not a DaskPredictor)")
    counting = _read_as_text(counting, source)
    client, settings = predictor.client, predictor.settings
    tally = Tally(counting)
    log_counting_start(config, counting)
    progress = _Progress(len(shards))

    def merge(number: int, done: Done) -> None:
        for part in done.value:
            tally.add(part)
        progress.done(sum(part.total for part in done.value), Done(None, done.worker, done.seconds))

    def submit(number: int) -> Any:
        return client.submit(count_shard, model, config, counting, source, shards[number], pure=False)

    threads = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info(n_workers=-1).get("workers", {}).values()))
    in_order(client, settings, "bias metrics", len(shards), submit, merge, window=WINDOW_PER_THREAD * threads)
    log.info("Bias counts on the workers: %s", worker_shares(progress.workers))
    return tally.result(config, layout)


def _read_as_text(counting: Counting, source: ShardSource) -> Counting:
    """The one-host counting, with the CSV columns typed at the end those the workers read as text: at
    least the one host's (else a chunk's own types would reach the counts), more when the source keeps
    more as text for other stages (a text feature is typed chunk by chunk for the model anyway)."""
    missing = counting.text - set(source.text_columns)
    if missing:
        raise ValueError(f"run_sharded_bias: the workers read {sorted(missing)} with their chunks' types; pass "
                         "analyzer.stages.text_columns(config) (or more) to shards.prepare")
    return replace(counting, text=frozenset(source.text_columns))


class _Progress:
    """A line every :data:`PROGRESS_EVERY_S` seconds; who did which task (without its parts)."""

    def __init__(self, shards: int) -> None:
        self.shards, self.merged, self.rows = shards, 0, 0
        self.started = self.last = time.monotonic()
        self.workers: list[Done] = []

    def done(self, rows: int, who: Done) -> None:
        self.merged += 1
        self.rows += rows
        self.workers.append(who)
        if time.monotonic() - self.last >= PROGRESS_EVERY_S:
            self.last = time.monotonic()
            log.info("Counted %s rows in %d of %d shards in %.0f s", f"{self.rows:,}", self.merged, self.shards,
                     self.last - self.started)
