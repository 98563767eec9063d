"""Predictions through a transport: records per request sized to the payload limit, several
requests in flight, batch halving on 413 and model errors, results in input order.

This is shared by every remote backend; a backend only supplies a ``Transport``.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import math
import queue
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analyzer.errors import EndpointError
from analyzer.formats import CountMismatch, ResponseCodec, ResponseError
from analyzer.predictor.base import ModelOutput
from analyzer.predictor.codecs import RequestCodec
from analyzer.predictor.transport import (
    Cancelled,
    ModelFault,
    PayloadTooLarge,
    RetryPolicy,
    Transport,
    invoke_with_retries,
)
from analyzer.progress import Progress

log = logging.getLogger("analyzer.predictor")

MB = 1024 * 1024
DEFAULT_MAX_PAYLOAD_MB = 5.8          # InvokeEndpoint's limit is 6 MB; stay just under it
DEFAULT_REQUEST_TIMEOUT = 60.0        # InvokeEndpoint's own limit for a model to answer
DEFAULT_MAX_RETRIES = 5
MAX_RECORDS_PER_REQUEST = 10_000      # keeps one request's model time well under the timeout
SAMPLE_ROWS = 200                     # rows encoded to estimate bytes per record
PROGRESS_MIN_ROWS = 10_000           # smaller calls finish too fast to need progress lines


@dataclass(frozen=True)
class BatchSettings:
    max_payload_bytes: int = int(DEFAULT_MAX_PAYLOAD_MB * MB)
    max_concurrency: int = 4
    retry: RetryPolicy = RetryPolicy(max_retries=DEFAULT_MAX_RETRIES)
    max_records_per_request: int = MAX_RECORDS_PER_REQUEST


class _Workers:
    """Daemon threads taking tasks from a queue: a request stuck in a socket never blocks the
    interpreter's exit or the job's teardown (ThreadPoolExecutor joins its threads at exit)."""

    def __init__(self, count: int) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        for i in range(count):
            threading.Thread(target=self._run, name=f"predictor-{i}", daemon=True).start()
        self._count = count

    def _run(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            future, function = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                future.set_exception(exc)

    def submit(self, function: Callable[[], object]) -> Future:
        future: Future = Future()
        self._tasks.put((future, function))
        return future

    def shutdown(self) -> None:
        for _ in range(self._count):
            self._tasks.put(None)


class InFlightClock:
    """Seconds with at least one request in flight (the union of the requests' intervals): the rest
    of a session's wall is time the model was given nothing to do."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._count = 0
        self._since = 0.0
        self._total = 0.0

    def __enter__(self) -> None:
        with self._lock:
            if self._count == 0:
                self._since = self._clock()
            self._count += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._count -= 1
            if self._count == 0:
                self._total += self._clock() - self._since

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._total + (self._clock() - self._since if self._count else 0.0)


class RemotePredictor:
    """A ``Predictor`` that sends records through ``transport`` in batches."""

    def __init__(self, transport: Transport, request: RequestCodec, response: ResponseCodec,
                 settings: BatchSettings) -> None:
        self.transport = transport
        self.request = request
        self.response = response
        self.settings = settings
        self._records_cap: int | None = 1 if request.one_record_per_request else None
        self._lock = threading.Lock()
        self._fallback_logged = False
        self.requests = 0
        self.records = 0
        self.in_flight = InFlightClock()

    # ------------------------------------------------------------------ sizing
    @property
    def max_rows_per_call(self) -> int:
        """Rows per predict() call that keep every request slot busy a few times over."""
        per_request = self._records_cap or self.settings.max_records_per_request
        return max(1024, per_request * self.settings.max_concurrency * 4)

    def _records_per_request(self, frame: pd.DataFrame) -> int:
        if self._records_cap is None:
            sample = frame.iloc[:SAMPLE_ROWS]
            per_record = max(1.0, len(self.request.encode(sample)) / len(sample))
            fit = int(self.settings.max_payload_bytes * 0.9 / per_record)
            self._records_cap = max(1, min(self.settings.max_records_per_request, fit))
            log.debug("About %.0f bytes per record: up to %d records per request", per_record, self._records_cap)
        # Spread small calls over the request slots instead of one big request.
        spread = math.ceil(len(frame) / self.settings.max_concurrency)
        return max(1, min(self._records_cap, spread))

    def _shrink(self, size: int, reason: str) -> None:
        with self._lock:
            if self._records_cap is None or size < self._records_cap:
                self._records_cap = max(1, size)
                if reason == "payload":
                    log.info("Prediction batch size is reduced to %d to fit max payload size limit.", size)

    # ------------------------------------------------------------------ one batch
    def _fail(self, text: str) -> EndpointError:
        return EndpointError(f"{self.transport.description} {text}")

    def _predict_range(self, frame: pd.DataFrame, start: int, stop_at: int,
                       stop: threading.Event) -> list[tuple[int, ModelOutput]]:
        rows = stop_at - start
        part = frame.iloc[start:stop_at]
        body = self.request.encode(part)
        if len(body) > self.settings.max_payload_bytes:
            if rows == 1:
                raise self._fail(f"cannot take record {start}: it is {len(body)} bytes encoded, more than the "
                                 f"payload limit of {self.settings.max_payload_bytes} bytes "
                                 "(predictor.max_payload_mb).")
            self._shrink(rows // 2, "payload")
            return self._split(frame, start, stop_at, stop)
        try:
            with self.in_flight:
                answer = invoke_with_retries(self.transport, body, self.request.content_type,
                                             self.response.accept_type, self.settings.retry, stop,
                                             retry_model_faults=rows == 1)
        except PayloadTooLarge as exc:
            if rows == 1:
                raise self._fail(f"rejected record {start} as too large ({exc}).") from None
            self._shrink(rows // 2, "payload")
            return self._split(frame, start, stop_at, stop)
        except EndpointError as exc:
            raise EndpointError(f"{exc.message} (records {start}..{stop_at - 1})") from None
        except ModelFault as exc:
            log.warning("%s failed on a batch of %d records (%s); splitting it.", self.transport.description, rows, exc)
            if not self._fallback_logged:
                self._fallback_logged = True
                log.info("Fallback to per-record prediction because of model error.")
            return self._split(frame, start, stop_at, stop)
        with self._lock:
            self.requests += 1
            self.records += rows
        try:
            return [(start, self.response.decode(answer, rows))]
        except CountMismatch as exc:
            raise self._fail(f"{exc} (records {start}..{stop_at - 1}); the model must return exactly one "
                             "prediction per record.") from None
        except ResponseError as exc:
            raise self._fail(f"{exc} (batch of {rows} records starting at record {start}).") from None

    def _split(self, frame: pd.DataFrame, start: int, stop_at: int,
               stop: threading.Event) -> list[tuple[int, ModelOutput]]:
        middle = start + (stop_at - start) // 2
        return self._predict_range(frame, start, middle, stop) + self._predict_range(frame, middle, stop_at, stop)

    # ------------------------------------------------------------------ predict
    def predict(self, features: pd.DataFrame) -> ModelOutput:
        total = len(features)
        if total == 0:
            return ModelOutput(scores=None, labels=None)
        size = self._records_per_request(features)
        ranges = [(s, min(total, s + size)) for s in range(0, total, size)]
        stop = threading.Event()
        workers = _Workers(min(self.settings.max_concurrency, len(ranges)))
        futures = [workers.submit(functools.partial(self._predict_range, features, s, e, stop)) for s, e in ranges]
        pieces: list[tuple[int, ModelOutput]] = []
        try:
            self._wait(futures, total, ranges)
            for future in futures:
                pieces.extend(future.result())
        finally:
            stop.set()
            for future in futures:
                future.cancel()
            workers.shutdown()
        return concatenate_outputs(sorted(pieces, key=lambda p: p[0]), self.transport.description)

    def _wait(self, futures: list[Future], total: int, ranges: list[tuple[int, int]]) -> None:
        """Wait in short slices (signal handlers run in between) and fail on the first error."""
        sizes = {id(f): e - s for f, (s, e) in zip(futures, ranges)}
        pending = set(futures)
        with contextlib.ExitStack() as stack:
            progress = (stack.enter_context(Progress(total, "Getting predictions"))
                        if total >= PROGRESS_MIN_ROWS else None)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    exc = future.exception()
                    if exc is not None and not isinstance(exc, Cancelled):
                        raise exc
                    if progress is not None:
                        progress.advance(sizes[id(future)])

    def stats_line(self, seconds: float) -> str:
        rate = self.requests / seconds if seconds > 0 else 0.0
        return (f"Model endpoint delivered {rate:.5f} requests per second and a total of {self.requests} "
                f"requests over {seconds:.0f} seconds")

    def idle_line(self, seconds: float) -> str:
        """How much of ``seconds`` (the session) the model had no request to work on."""
        busy = min(seconds, self.in_flight.seconds)
        idle = 100.0 * (seconds - busy) / seconds if seconds > 0 else 0.0
        return (f"Model requests in flight {busy:.1f} s of {seconds:.1f} s: "
                f"the model was idle {idle:.0f}% of the session")


def concatenate_outputs(pieces: list[tuple[int, ModelOutput]], where: str) -> ModelOutput:
    outputs = [p for _, p in pieces]
    has_scores = {o.scores is not None for o in outputs}
    has_labels = {o.labels is not None for o in outputs}
    if len(has_scores) > 1 or len(has_labels) > 1:
        raise EndpointError(f"{where} returned scores or labels for some batches but not for others.")
    scores = labels = None
    if outputs[0].scores is not None:
        widths = {o.scores.shape[1] for o in outputs if o.scores is not None}
        if len(widths) > 1:
            raise EndpointError(f"{where} returned score vectors of different lengths {sorted(widths)} "
                                "across batches.")
        scores = np.concatenate([o.scores for o in outputs])
    if outputs[0].labels is not None:
        labels = np.concatenate([o.labels for o in outputs]) if len(outputs) > 1 else outputs[0].labels
        if labels.dtype == object and not any(isinstance(v, list) for v in labels):
            labels = np.asarray(labels.tolist())
    names = max((o.score_names for o in outputs), key=len)
    return ModelOutput(scores=scores, labels=labels, score_names=names)
