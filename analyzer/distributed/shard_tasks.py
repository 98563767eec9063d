"""What a Dask worker runs on a shard it reads itself (analyzer.distributed.shards): the survey of its
rows, its records' Kernel SHAP patterns, its Kernel SHAP part and its PDP part. Each returns a small,
picklable part that the leader merges in shard order (analyzer.explain.parts, analyzer.stages)."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from analyzer.distributed.shards import Shard, ShardSource, shard_frames
from analyzer.distributed.tasks import Done, WorkerModel, job_memo, model_on_worker, on_worker, worker_name

if TYPE_CHECKING:
    from analyzer.explain import Baseline, PatternKey, ShapPart, ShapSettings
    from analyzer.stages import Survey


@dataclass(frozen=True)
class ShapJob:
    """What every Kernel SHAP task shares: the columns, the baseline, the settings, the whole run's size."""

    features: tuple[str, ...]
    join_column: str | None
    baseline: Baseline
    settings: ShapSettings
    n_total: int
    counts: dict[PatternKey, int]     # records per pattern in the whole run


def _rows(source: ShardSource, shard: Shard, types: Survey, columns: Sequence[str]) -> pd.DataFrame:
    """The shard's ``columns``, typed as a whole read types them (a shard holds at most a chunk's rows)."""
    frames = [types.typed(frame.loc[:, list(columns)]) for frame in shard_frames(source, shard)]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


@on_worker
def survey_shard(source: ShardSource, shard: Shard, columns: list[str], grid: list[str],
                 keep: list[str] | None) -> Survey:
    from analyzer.stages import survey_part

    return survey_part(shard_frames(source, shard), columns, grid, keep)


@on_worker
def pattern_shard(source: ShardSource, shard: Shard, types: Survey, job: ShapJob) -> dict[PatternKey, int]:
    from analyzer.explain import pattern_counts

    return pattern_counts(_rows(source, shard, types, job.features), job.baseline, job.settings)


@on_worker
def shap_shard(model: WorkerModel, source: ShardSource, shard: Shard, types: Survey, job: ShapJob,
               before: dict[PatternKey, int], max_rows_per_call: int, keep: np.ndarray) -> Done:
    """The shard's Kernel SHAP part, its join column's values (for out.csv) and the feature values of
    its rows ``keep`` (those the report's chart draws)."""
    from analyzer.explain import explain_part
    from analyzer.stages import model_scores

    began = time.perf_counter()
    columns = [*job.features, *([job.join_column] if job.join_column else [])]
    rows = _rows(source, shard, types, columns)
    settings = replace(job.settings, max_rows_per_call=max_rows_per_call)
    solvers = job_memo(model.token).setdefault("solvers", {})   # a pattern's solver: built once per worker
    part: ShapPart = explain_part(model_scores(model_on_worker(model)), rows.loc[:, list(job.features)], job.baseline,
                                  settings, job.n_total, before, job.counts, solvers)
    join = list(rows[job.join_column].to_numpy()) if job.join_column else None
    kept = rows.loc[:, list(job.features)].iloc[keep]
    return Done((part, join, kept), worker_name(), time.perf_counter() - began)


@on_worker
def pdp_shard(model: WorkerModel, source: ShardSource, shard: Shard, types: Survey, features: tuple[str, ...],
              grids: Any, max_rows_per_call: int) -> Done:
    from analyzer.stages import model_scores, pdp_part

    began = time.perf_counter()
    rows = _rows(source, shard, types, features)
    part = pdp_part(model_scores(model_on_worker(model)), rows, grids, max_rows_per_call)
    return Done(part, worker_name(), time.perf_counter() - began)
