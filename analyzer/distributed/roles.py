"""Where a job meets the cluster: whether it uses one (a scheduler was given, or there are several
hosts, and the job calls a model), the job's predictor on it, and a follower host's part."""
from __future__ import annotations

import logging
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Iterator

from analyzer.cluster import LOST, follow
from analyzer.config import AnalysisConfig
from analyzer.data import Dataset
from analyzer.distributed.settings import ScaleSettings
from analyzer.errors import AnalysisError
from analyzer.stages import needs_model

if TYPE_CHECKING:
    from analyzer.distributed.session import Cluster
    from analyzer.predictor import Predictor

log = logging.getLogger("sagemaker-clarify-processing")


@contextmanager
def scaled_out(scale: ScaleSettings, hosts: list[str], config: AnalysisConfig,
               dataset: Dataset) -> Iterator[Cluster | None]:
    """A Dask cluster when the job calls a model and a scheduler is given or there are several hosts."""
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


def on_cluster(cluster: Cluster | None, predictor: Predictor | None, config: AnalysisConfig,
               dataset: Dataset) -> AbstractContextManager[Predictor | None]:
    """The job's predictor, on the cluster's workers when there is a cluster."""
    if cluster is None or predictor is None:
        return nullcontext(predictor)
    return cluster.predictor(predictor, config, dataset.features)


def lend_workers(leader: str, host: str, scale: ScaleSettings) -> None:
    """A follower's part: this host's Dask workers serve the leader until its job ends."""
    from analyzer.distributed.follower import workers_for

    with workers_for(leader, host, scale):
        outcome = follow(leader)
    if outcome == LOST:
        raise AnalysisError(f"The leader host {leader} stopped before the job finished; its log says why.")
