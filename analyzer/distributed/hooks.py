"""Where a job meets Dask: a cluster when the job calls a model and a scheduler is given or there are
several hosts, the model on that cluster, and a follower host's part. ``analyzer.job`` calls these;
dask itself is imported only when a cluster is opened."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.cluster import LOST, follow
from analyzer.distributed.settings import ScaleSettings, scale_settings
from analyzer.errors import AnalysisError

if TYPE_CHECKING:
    from analyzer.config import AnalysisConfig
    from analyzer.data import Dataset
    from analyzer.distributed.session import Cluster
    from analyzer.output import OutputWriter
    from analyzer.predictor import Predictor

log = logging.getLogger("sagemaker-clarify-processing")


def on_cluster(cluster: Cluster | None, predictor: Predictor | None, config: AnalysisConfig,
               dataset: Dataset) -> AbstractContextManager[Predictor | None]:
    """The model as the job calls it: from the cluster's workers when there is one."""
    if cluster is None or predictor is None:
        return nullcontext(predictor)
    return cluster.predictor(predictor, config, dataset.features)


@contextmanager
def scaled_out(scale: ScaleSettings | None, hosts: list[str], config: AnalysisConfig,
               dataset: Dataset) -> Iterator[Cluster | None]:
    """A Dask cluster when the job calls a model and a scheduler is given or there are several hosts."""
    from analyzer.stages import needs_model

    scale = scale or scale_settings()
    if not (scale.scheduler or len(hosts) > 1):
        yield None
        return
    if not needs_model(config, dataset):
        log.info("The job calls no model: Dask is not used.")
        yield None
        return
    from analyzer.distributed.session import open_cluster

    with open_cluster(scale, hosts) as cluster:
        yield cluster


def sharded_analysis(config: AnalysisConfig, uri: str | Path, scale: ScaleSettings | None, hosts: list[str],
                     chunk_rows: int | str, writer: OutputWriter) -> tuple | None:
    """The analysis with the Dask workers reading the data themselves (:mod:`analyzer.distributed.sharded`),
    or None when this job's leader reads it (no cluster, no model to call, or a reason logged here)."""
    from analyzer.distributed.sharded import why_not_sharded

    scale = scale or scale_settings()
    methods = config.methods
    calls_model = methods.needs_explanations or (methods.post_training_bias is not None
                                                 and not config.has_predictions_in_data)
    if not (scale.scheduler or len(hosts) > 1) or not calls_model or chunk_rows == "off":
        return None
    reason = why_not_sharded(config)
    if reason is not None:
        log.info("The leader reads the dataset and sends the Dask workers rows: %s.", reason)
        return None
    from analyzer.distributed.session import open_cluster
    from analyzer.distributed.sharded import run_sharded
    from analyzer.stages import auto_rows

    rows = chunk_rows if isinstance(chunk_rows, int) else auto_rows()
    with open_cluster(scale, hosts) as cluster:
        return run_sharded(config, uri, cluster, rows, writer, len(hosts))


def follow_leader(leader: str, host: str, scale: ScaleSettings | None) -> None:
    """A follower's part: this host's Dask workers serve the leader until its job ends."""
    from analyzer.distributed.follower import workers_for

    with workers_for(leader, host, scale or scale_settings()):
        outcome = follow(leader)
    if outcome == LOST:
        raise AnalysisError(f"The leader host {leader} stopped before the job finished; its log says why.")
