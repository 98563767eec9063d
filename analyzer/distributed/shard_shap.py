"""Kernel SHAP on shards the workers read themselves: a pass for each shard's records per pattern (no
model calls), then every shard explained on a worker, placed in the whole run (analyzer.explain.parts),
and merged by the leader in shard order; local values go to out.csv as the parts arrive."""
from __future__ import annotations

import logging
import time
from contextlib import closing
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analyzer.distributed.predictor import DaskPredictor, worker_shares
from analyzer.distributed.shard_tasks import ShapJob, pattern_shard, shap_shard
from analyzer.distributed.shards import Shard, ShardSource
from analyzer.distributed.tasks import Done

if TYPE_CHECKING:
    from analyzer.explain import PatternKey, ShapSettings
    from analyzer.output import OutputWriter
    from analyzer.stages import StreamedExplanation, Survey

log = logging.getLogger("analyzer.explain")

class LocalValuesOut:
    """out.csv as the parts arrive: one file, or on a multi-host job Clarify's part files (each with a
    header) cut where :meth:`analyzer.stages.ExplanationResult.write` cuts them."""

    def __init__(self, writer: OutputWriter, parts: int, rows: int) -> None:
        from analyzer.stages import LOCAL_VALUES_FILE

        self.writer, self.parts, self.file = writer, parts, LOCAL_VALUES_FILE
        self.bounds = np.linspace(0, rows, parts + 1).astype(int)
        self.rows = 0
        self.columns = pd.DataFrame()

    def append(self, frame: pd.DataFrame) -> None:
        if self.parts <= 1:
            self.writer.append_csv(self.file, frame)
        else:
            for i in range(self.parts):
                lo, hi = max(self.bounds[i], self.rows), min(self.bounds[i + 1], self.rows + len(frame))
                if lo < hi:
                    self.writer.append_csv(self.part(i), frame.iloc[lo - self.rows:hi - self.rows])
        self.rows += len(frame)
        self.columns = frame.iloc[:0]

    def part(self, i: int) -> str:
        return f"{self.file}/part-{i:05d}.csv"

    def close(self) -> None:
        """Part files left without rows (fewer rows than hosts) hold the header only, as Clarify's."""
        for i in range(self.parts if self.parts > 1 and self.rows else 0):
            if self.bounds[i] == self.bounds[i + 1]:
                self.writer.append_csv(self.part(i), self.columns)


def shap_shards(result: StreamedExplanation, shap: ShapSettings, predictor: DaskPredictor, source: ShardSource,
                shards: list[Shard], found: Survey, types: Survey, writer: OutputWriter, parts: int,
                auto: bool) -> None:
    from analyzer.explain import ShapMerger, label_names, local_values_frame, part_offsets, shap_baseline
    from analyzer.stages import LocalSample

    layout, names = result.dataset, list(result.dataset.features)
    client = predictor.client
    base = shap_baseline(shap, found.features() if auto else layout.frame.loc[:, names])
    result.explanation.baseline = base
    job = ShapJob(tuple(names), layout.join_column, base, shap, found.rows, {})
    counted: list[dict[PatternKey, int]] = []
    predictor.run_shards(shards, "Kernel SHAP patterns",
         lambda s: client.submit(pattern_shard, source, s, types, job, pure=False),
         lambda s, counts: counted.append(counts))
    before, totals = part_offsets(counted)
    job = ShapJob(job.features, job.join_column, base, shap, found.rows, totals)
    log.info("Shap analyzer: explaining %d rows, %d columns in %d shards on %d worker threads...", found.rows,
             len(names), len(shards), predictor.threads)
    merger = ShapMerger(shap, found.rows, totals)
    out = LocalValuesOut(writer, parts, found.rows)
    labels: list[str] | None = None
    shares: list[Done] = []
    per_call = predictor.leader.max_rows_per_call

    sample = result.sample = LocalSample.of(found.rows) if shap.save_local_shap_values else None
    empty = np.zeros(0, dtype=np.intp)

    def merge(shard: Shard, done: Done) -> None:
        nonlocal labels
        part, join, kept = done.value
        chunk = merger.add(part)
        labels = labels or label_names(len(chunk.expected_value), shap.label_names)
        if sample is not None:
            local = local_values_frame(chunk, labels=labels, join_column=layout.join_column, join_values=join)
            out.append(local)
            result.written += len(local)
            sample.add_kept(local, kept)
        shares.append(done)

    def submit(s: Shard) -> Any:
        keep = sample.wanted(s.offset, s.offset + s.rows) if sample is not None else empty
        return client.submit(shap_shard, predictor.model, source, s, types, job, before[s.number], per_call, keep,
                             pure=False)

    began = time.perf_counter()
    with closing(merger.median):   # agg_method median: its scratch files, removed however the pass ends
        predictor.run_shards(shards, "Kernel SHAP", submit, merge)
        log.info("Kernel SHAP on the workers in %.1f s: %s", time.perf_counter() - began, worker_shares(shares))
        out.close()
        kernel, result.glob = merger.finish()
    result.explanation.kernel_shap, result.explanation.labels = kernel, labels or []
