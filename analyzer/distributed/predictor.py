"""The job's predictor on a Dask cluster: predictions (post-training labels, PDP) in row slices and
Kernel SHAP in shards of records, each run by a worker that calls the model itself; the leader only
sends rows and merges results, in input order, so the analysis is the one a single host computes."""
from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

from analyzer import signals
from analyzer.distributed.settings import ScaleSettings
from analyzer.distributed.tasks import Done, ShardResult, WorkerModel, explain_shard, predict_rows
from analyzer.errors import AnalysisError
from analyzer.predictor import concatenate_outputs

if TYPE_CHECKING:
    from distributed import Client, Future

    from analyzer.explain import PatternInfluence
    from analyzer.explain import Run
    from analyzer.predictor import ModelOutput, Predictor

log = logging.getLogger("sagemaker-clarify-processing")

POLL_SECONDS = 0.5
TASKS_PER_THREAD = 4      # enough tasks that a slow or lost worker does not hold up the others for long
#: Shard tasks started and not yet merged, per worker thread: enough that no worker waits for the leader.
WINDOW_PER_THREAD = 3


def _not_here(frame: pd.DataFrame) -> np.ndarray:
    raise RuntimeError("a shard's model is set on the worker")


class LostWorkers(AnalysisError):
    """The cluster lost its workers: like running out of memory, the job cannot run on what it has."""


class Watch:
    """Waits on futures for ``what``: a stop (SIGTERM) ends the wait, and ``lost_timeout`` seconds
    without any worker fail the job: never a hang."""

    def __init__(self, client: Client, settings: ScaleSettings, what: str) -> None:
        self.client, self.settings, self.what = client, settings, what
        self.alone_since: float | None = None

    def wait(self, pending: set[Future]) -> tuple[set[Future], set[Future]]:
        """(done, still pending) after at most :data:`POLL_SECONDS`."""
        from distributed import wait

        try:
            done, pending = wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        signals.check()
        if pending and not self.client.scheduler_info(n_workers=-1).get("workers"):
            self.alone_since = self.alone_since or time.monotonic()
            if time.monotonic() - self.alone_since > self.settings.lost_timeout:
                raise LostWorkers(f"No Dask worker for {self.settings.lost_timeout} s while running the {self.what}; "
                                  f"the scheduler {self.client.scheduler.address} has lost them (see "
                                  "--dask-lost-timeout).")
        else:
            self.alone_since = None
        return set(done), set(pending)

    def result(self, future: Future) -> Any:
        """The task's value; its error raised as it is, a task that kept killing workers as LostWorkers."""
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as exc:
            said = " ".join(str(exc).split())[:300]
            raise LostWorkers(f"Dask workers kept dying while running the {self.what}; check their memory "
                              f"and logs. Dask: {said}") from None


def wait_all(client: Client, futures: list[Future], settings: ScaleSettings, what: str,
             on_result: Callable[[int, Any], None]) -> None:
    """Results as they come (``on_result(index, value)``); the first error ends the wait, a stop
    (SIGTERM) cancels, and ``lost_timeout`` seconds without any worker fail the job: never a hang."""
    watch = Watch(client, settings, what)
    index = {f.key: i for i, f in enumerate(futures)}
    pending = set(futures)
    try:
        while pending:
            done, pending = watch.wait(pending)
            for future in done:
                on_result(index[future.key], watch.result(future))
    finally:
        if pending:
            client.cancel(list(pending))


def in_order(client: Client, settings: ScaleSettings, what: str, count: int, submit: Callable[[int], Future],
             on_result: Callable[[int, Any], None], window: int) -> None:
    """Tasks ``0..count-1`` (``submit(i)`` starts one), with at most ``window`` started and not yet
    handed on; ``on_result(i, value)`` in task order (results that come early wait): the leader holds
    a bounded number of results whatever the workers' speed. Errors and stops as :func:`wait_all`."""
    watch = Watch(client, settings, what)
    started: dict[Any, int] = {}      # task key -> task number
    early: dict[int, Any] = {}
    pending: set[Future] = set()
    following = 0
    try:
        while following < count:
            while len(started) < count and len(started) - following < window:
                number = len(started)
                future = submit(number)
                started[future.key] = number
                pending.add(future)
            done, pending = watch.wait(pending)
            for future in done:
                early[started[future.key]] = watch.result(future)
            while following in early:
                on_result(following, early.pop(following))
                following += 1
    finally:
        if pending:
            client.cancel(list(pending))


def worker_shares(results: Sequence[ShardResult | Done]) -> str:
    """Tasks and busy seconds per worker: whether every worker (every host) did its part."""
    shares: dict[str, list[float]] = {}
    for result in results:
        share = shares.setdefault(result.worker, [0, 0.0])
        share[0] += 1
        share[1] += result.seconds
    return ", ".join(f"{name} {int(n)} task(s) {s:.1f} s" for name, (n, s) in sorted(shares.items()))


class DaskPredictor:
    """A :class:`~analyzer.predictor.Predictor` whose calls run on the cluster's workers."""

    def __init__(self, client: Client, model: WorkerModel, settings: ScaleSettings, leader: Predictor) -> None:
        self.client = client
        self.model = model
        self.settings = settings
        self.leader = leader
        self.tree_sources = getattr(leader, "tree_sources", None)   # tree_exact runs on the leader
        self.threads = max(1, sum(w.get("nthreads", 1) for w in
                                  client.scheduler_info(n_workers=-1).get("workers", {}).values()))

    @property
    def max_rows_per_call(self) -> int:
        return self.leader.max_rows_per_call * self.threads

    def _per_task(self, total: int, floor: int = 1) -> int:
        return self.settings.chunk_rows or max(floor, math.ceil(total / (self.threads * TASKS_PER_THREAD)))

    def predict(self, features: pd.DataFrame) -> ModelOutput:
        size = self._per_task(len(features), floor=256)
        parts = [features.iloc[start:start + size] for start in range(0, len(features), size)] or [features]
        futures = [self.client.submit(predict_rows, self.model, part, pure=False) for part in parts]
        outputs: list[tuple[int, ModelOutput]] = []
        wait_all(self.client, futures, self.settings, "predictions", lambda i, out: outputs.append((i, out)))
        return concatenate_outputs(sorted(outputs, key=lambda p: p[0]), "the model")

    def run_shards(self, shards: Sequence[Any], what: str, submit: Callable[[Any], Future],
                   on_result: Callable[[Any, Any], None]) -> None:
        """``submit(shard)`` for every shard (workers reading their own rows), ``on_result(shard, value)``
        in shard order, a bounded number started ahead (:func:`in_order`)."""
        in_order(self.client, self.settings, what, len(shards), lambda i: submit(shards[i]),
                 lambda i, value: on_result(shards[i], value), window=WINDOW_PER_THREAD * self.threads)

    def shap_runner(self, run: Run, max_rows_per_call: int) -> None:
        """Kernel SHAP's records in shards on the workers (see :meth:`Run.shards`)."""
        from analyzer.explain import CountingPredict

        shards = run.shards(self._per_task(len(run.x_vals)))
        placeholder = CountingPredict(_not_here, 1)
        per_call = min(max_rows_per_call, self.leader.max_rows_per_call)   # a worker's own model calls
        futures = [self.client.submit(explain_shard, self.model, run.shard(rows, placeholder), rows,
                                      per_call, pure=False) for rows in shards]
        log.info("Kernel SHAP: %d records in %d tasks on %d worker threads", len(run.x_vals), len(shards), self.threads)
        merged: dict[int, PatternInfluence] = {}
        results: list[ShardResult] = []
        began = time.perf_counter()
        wait_all(self.client, futures, self.settings, "Kernel SHAP", lambda i, result: results.append(result))
        log.info("Kernel SHAP on the workers in %.1f s: %s", time.perf_counter() - began, worker_shares(results))
        for result in results:
            run.absorb(result.rows, result.local, result.local_var, result.pattern_var, result.partials, merged)
            run.model.calls += result.calls
            run.model.rows += result.model_rows
        run.close_merged(merged)


