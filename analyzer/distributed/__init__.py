"""Scale-out on Dask distributed: an existing cluster (``--scheduler``), or the hosts of a multi-host
SageMaker job (the first host runs the scheduler, every host runs workers). The model-calling work
(post-training predictions, Kernel SHAP, PDP) runs on the workers, each calling the model itself; the
leader reads the data, sends rows, merges results and computes everything else, so the analysis is
bit for bit the one a single host computes.

Importing this package does not import dask: one-host jobs and ``analyzer validate`` never pay for it.
"""
from analyzer.distributed.hooks import follow_leader, on_cluster, scaled_out, sharded_analysis
from analyzer.distributed.settings import SCHEDULER_ENV, ScaleSettings, scale_settings

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.distributed.session import Cluster


def __getattr__(name: str) -> Any:
    if name == "Cluster":   # imports dask: only when a cluster is used
        from analyzer.distributed import session

        return session.Cluster
    raise AttributeError(f"module 'analyzer.distributed' has no attribute {name!r}")


__all__ = ["Cluster", "SCHEDULER_ENV", "ScaleSettings", "follow_leader", "on_cluster", "scale_settings", "scaled_out",
           "sharded_analysis"]
