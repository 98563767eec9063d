"""What the Dask workers run: a predictor built from the job's config (opened once per worker process
and job, kept for the job's tasks, closed by :func:`close_model`), predictions for a slice of rows,
and Kernel SHAP for a shard of records. Errors keep their class (exit code) and name the worker."""
from __future__ import annotations

import atexit
from collections import deque
import functools
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

from analyzer.config import AnalysisConfig
from analyzer.errors import AnalyzerError, EndpointError

if TYPE_CHECKING:
    import pandas as pd

    from analyzer.explain import PatternInfluence
    from analyzer.explain import Run
    from analyzer.predictor import ModelOutput, Predictor

T = TypeVar("T")

_MODELS: dict[str, tuple[ExitStack, Any]] = {}
_ENDED: deque[str] = deque(maxlen=1024)   # jobs whose model was closed here (the last ones)
_MEMOS: dict[str, dict[str, Any]] = {}    # per job: what its tasks on this worker share (e.g. SHAP solvers)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class WorkerModel:
    """How a worker reaches the job's model: the config with predictor keys it can use (a shadow
    endpoint by its name), the feature columns in order, and the job's token."""

    token: str
    config: AnalysisConfig
    feature_names: tuple[str, ...]


@dataclass
class ShardResult:
    """A Kernel SHAP shard's part of the run (see :meth:`analyzer.explain._run.Run.absorb`)."""

    rows: np.ndarray
    local: np.ndarray
    local_var: np.ndarray
    pattern_var: dict[int, tuple[np.ndarray, np.ndarray]]
    partials: dict[int, PatternInfluence]
    calls: int
    model_rows: int
    worker: str = "?"        # the worker's name (``<host>/<i>`` on a multi-host job): who did the work
    seconds: float = 0.0     # the shard's time on that worker


@dataclass
class Done:
    """A task's result with who computed it and how long it took (the leader logs every worker's share)."""

    value: Any
    worker: str
    seconds: float


def worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return "?"


def worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "a Dask worker"


def on_worker(function: Callable[..., T]) -> Callable[..., T]:
    """Our errors raised on a worker say which worker; their class (and exit code) is kept."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except AnalyzerError as exc:
            raise type(exc)(f"{exc.message} (on Dask worker {worker_address()})") from None

    return wrapper


def model_on_worker(model: WorkerModel) -> Predictor:
    with _LOCK:
        if model.token in _ENDED:   # a task that started after its job ended (cancelled) opens nothing
            raise EndpointError("the job has ended; its model is closed on this worker")
        if model.token not in _MODELS:
            from analyzer.predictor import open_predictor

            stack = ExitStack()
            try:
                predictor = stack.enter_context(open_predictor(model.config, feature_names=model.feature_names))
            except BaseException:
                stack.close()
                raise
            _MODELS[model.token] = (stack, predictor)
        return _MODELS[model.token][1]


def job_memo(token: str) -> dict[str, Any]:
    """What the job's tasks on this worker share (dropped with its model by :func:`close_model`)."""
    with _LOCK:
        return _MEMOS.setdefault(token, {})


def close_model(token: str) -> bool:
    """Release the job's predictor on this worker (run on every worker when the job ends)."""
    with _LOCK:
        entry = _MODELS.pop(token, None)
        _MEMOS.pop(token, None)
        _ENDED.append(token)
    if entry is not None:
        entry[0].close()
    return entry is not None


@atexit.register
def _close_models() -> None:
    """Models a job left open on this process (a worker whose leader never said it was done) are closed
    before the interpreter takes the modules they use apart."""
    for token in list(_MODELS):
        close_model(token)


@on_worker
def check_model(model: WorkerModel) -> str:
    """Open the predictor (model files readable, endpoint known) before any real work is sent."""
    model_on_worker(model)
    return worker_address()


@on_worker
def predict_rows(model: WorkerModel, frame: pd.DataFrame) -> ModelOutput:
    return model_on_worker(model).predict(frame)


@on_worker
def explain_shard(model: WorkerModel, run: Run, rows: np.ndarray, max_rows_per_call: int) -> ShardResult:
    from analyzer.explain import CountingPredict
    from analyzer.stages import model_scores

    began = time.perf_counter()
    run.model = CountingPredict(model_scores(model_on_worker(model)), max_rows_per_call)
    run.explain_all(max_rows_per_call)
    return ShardResult(rows=rows, local=run.local, local_var=run.local_var, pattern_var=run.pattern_var,
                       partials=run.partials(), calls=run.model.calls, model_rows=run.model.rows,
                       worker=worker_name(), seconds=time.perf_counter() - began)
