"""The leader's side of a scaled-out job: connect to an existing Dask scheduler (``--scheduler``) or,
on the first host of a multi-host job, start one with this host's workers; then hand the job's
predictor to the workers (:class:`~analyzer.distributed.predictor.DaskPredictor`)."""
from __future__ import annotations

import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterator, Sequence

from analyzer.config import AnalysisConfig, PredictorConfig
from analyzer.distributed.settings import ScaleSettings
from analyzer.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client

    from analyzer.predictor import Predictor

log = logging.getLogger("sagemaker-clarify-processing")

PORT_ENV = "ANALYZER_DASK_PORT"
DEFAULT_PORT = 8786
#: How long the leader of a multi-host job waits for the other hosts' workers before it starts.
HOSTS_WAIT_ENV = "ANALYZER_DASK_HOSTS_WAIT"
DEFAULT_HOSTS_WAIT_S = 120
#: Modules a worker process imports when it starts (while the leader still reads the data) rather than
#: on its first task.
PRELOAD = ("analyzer.distributed.tasks", "analyzer.predictor", "analyzer.explain", "analyzer.stages")


def dask_port() -> int:
    return int(os.environ.get(PORT_ENV) or DEFAULT_PORT)


@dataclass
class Cluster:
    client: Client
    settings: ScaleSettings

    @contextmanager
    def predictor(self, leader: Predictor, config: AnalysisConfig, feature_names: Sequence[str]) -> Iterator[Predictor]:
        """The job's predictor on the workers; the leader's own when its model cannot be shared."""
        from analyzer.distributed.predictor import DaskPredictor, wait_all
        from analyzer.distributed.tasks import WorkerModel, check_model, close_model

        shared = worker_predictor(config.predictor, leader, self.settings)
        if shared is None:
            log.warning("The model runs in a local container on the leader; the Dask workers cannot share it, so "
                        "the leader computes everything (serve it at an endpoint_url the workers reach to scale out).")
            yield leader
            return
        model = WorkerModel(uuid.uuid4().hex, replace(config, predictor=shared), tuple(feature_names))
        workers = list(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        try:
            futures = [self.client.submit(check_model, model, workers=[w], allow_other_workers=True, pure=False)
                       for w in workers]   # a worker that leaves meanwhile must not leave its check waiting
            wait_all(self.client, futures, self.settings, "model check", lambda i, value: None)
            yield DaskPredictor(self.client, model, self.settings, leader)
        finally:
            try:
                self.client.run(close_model, model.token)
            except Exception as exc:  # noqa: BLE001 - a lost worker has nothing left to close
                log.debug("Closing the workers' model clients: %s", exc)


def worker_predictor(predictor: PredictorConfig | None, leader: Predictor,
                     settings: ScaleSettings) -> PredictorConfig | None:
    """Predictor keys a worker can use to reach the same model, or None when it cannot (a container
    started on the leader). A shadow endpoint the leader created is shared by its name."""
    if predictor is None:
        return None
    if predictor.in_process or predictor.endpoint_url or predictor.endpoint_name:
        shared = predictor
    elif predictor.model_name and (predictor.instance_type or "").lower() != "local":
        name = getattr(getattr(leader, "transport", None), "endpoint_name", None)
        if name is None:
            return None
        shared = replace(predictor, endpoint_name=name, model_name=None)
    else:
        return None
    return replace(shared, max_concurrency=settings.in_flight) if settings.in_flight else shared


@contextmanager
def open_cluster(settings: ScaleSettings, hosts: Sequence[str]) -> Iterator[Cluster]:
    """A client of ``settings.scheduler``, or of a scheduler (and this host's workers) started here
    for a multi-host job, which the other hosts' workers join."""
    log.info("Scaling out on Dask: %s", settings.describe())
    if settings.scheduler:
        with _connect(settings) as client:
            _log_workers(client)
            yield Cluster(client, settings)
        return
    from distributed import Client, LocalCluster

    port = dask_port()
    # One worker on this host runs in this process: a worker process would only add its start (a
    # fresh interpreter importing everything again, ~10 s on a busy CPU) and its teardown; several
    # get processes, which run Python code side by side.
    processes = settings.workers > 1
    extra = {"preload": list(PRELOAD)} if processes else {}
    with LocalCluster(n_workers=settings.workers, threads_per_worker=settings.threads, processes=processes,
                      protocol="tcp://", host="0.0.0.0", scheduler_port=port, dashboard_address=None,
                      **extra) as local, \
            Client(local) as client:
        log.info("Dask scheduler for %d hosts on port %d", len(hosts), port)
        _wait_for_hosts(client, hosts)
        _log_workers(client)
        yield Cluster(client, settings)


@contextmanager
def _connect(settings: ScaleSettings) -> Iterator[Client]:
    from distributed import Client

    try:
        client = Client(settings.scheduler, timeout=settings.lost_timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--scheduler / ANALYZER_DASK_SCHEDULER: cannot reach the Dask scheduler "
                          f"{settings.scheduler} within {settings.lost_timeout} s ({type(exc).__name__}).") from None
    try:
        if not client.scheduler_info(n_workers=-1).get("workers"):
            client.wait_for_workers(1, timeout=settings.lost_timeout)
        yield client
    except TimeoutError:
        raise ConfigError(f"--scheduler: the Dask scheduler {settings.scheduler} has no workers "
                          f"(waited {settings.lost_timeout} s).") from None
    finally:
        client.close()


def _wait_for_hosts(client: Client, hosts: Sequence[str]) -> None:
    """Until a worker of every other host (named ``<host>/<i>``) has joined, or the wait runs out
    (then the job goes on with the workers it has)."""
    wait_s = float(os.environ.get(HOSTS_WAIT_ENV) or DEFAULT_HOSTS_WAIT_S)
    deadline = time.monotonic() + wait_s
    while True:
        workers = client.scheduler_info(n_workers=-1).get("workers", {}).values()
        missing = set(hosts[1:]) - {str(w.get("name")).split("/")[0] for w in workers}
        if not missing:
            return
        if time.monotonic() > deadline:
            log.warning("No Dask worker of %s joined within %.0f s; going on without.", ", ".join(sorted(missing)),
                        wait_s)
            return
        time.sleep(0.5)


def _log_workers(client: Client) -> None:
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    threads = sum(w.get("nthreads", 1) for w in workers.values())
    log.info("Dask cluster %s: %d workers, %d threads", client.scheduler.address, len(workers), threads)
