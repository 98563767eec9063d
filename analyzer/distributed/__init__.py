"""Scale-out on Dask distributed: an existing cluster (``--scheduler``), or the hosts of a multi-host
SageMaker job (the first host runs the scheduler, every host runs workers). The model-calling work
(post-training predictions, Kernel SHAP, PDP) runs on the workers, each calling the model itself; the
leader reads the data, sends rows, merges results and computes everything else, so the analysis is
bit for bit the one a single host computes.

Importing this package does not import dask: one-host jobs and ``analyzer validate`` never pay for it.
"""
from analyzer.distributed.settings import SCHEDULER_ENV, ScaleSettings, scale_settings

__all__ = ["SCHEDULER_ENV", "ScaleSettings", "scale_settings"]
