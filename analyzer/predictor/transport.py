"""Moving request bytes to a model and back: the transport protocol, its typed errors, retries.

Backends only move bytes. Everything about what to do on an error (retry with backoff, shrink
the batch, give up) is decided here and in ``batching`` from the error's type.
"""
from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from typing import Protocol

from analyzer.errors import EndpointError

log = logging.getLogger("analyzer.predictor")


class TransportError(Exception):
    """A request failed; subclasses say what may help."""


class PayloadTooLarge(TransportError):
    """HTTP 413 or the service's payload limit: send fewer records per request."""


class Retryable(TransportError):
    """Throttling, 502/503/504, timeouts, connection resets: the same request may succeed later."""


class ModelFault(TransportError):
    """The model rejected this input (500 or a 4xx): a smaller batch may isolate the bad record.
    ``transient`` faults (5xx) are retried for a single record; a 4xx answer would only repeat."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class Cancelled(Exception):
    """The prediction run stopped (another batch failed or the job is being interrupted)."""


class Transport(Protocol):
    #: How messages name the model, e.g. "endpoint 'my-ep'" or "http://127.0.0.1:8080/invocations".
    description: str

    def invoke(self, body: bytes, content_type: str, accept: str) -> bytes: ...

    def close(self) -> None: ...


def error_for_status(status: int, detail: str, where: str) -> Exception:
    """The typed error for a non-2xx HTTP answer."""
    text = f"HTTP {status}: {' '.join(detail[:2000].split())[:300]}"  # one line, whatever the server sent
    if status == 413:
        return PayloadTooLarge(text)
    if status in (408, 429, 502, 503, 504):
        return Retryable(text)
    if status in (401, 403, 404, 405):
        return EndpointError(f"{where} refused the request ({text}); check the endpoint address and permissions.")
    return ModelFault(text, transient=status >= 500)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 0.2
    max_delay: float = 20.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter (attempt counts from 0)."""
        return random.uniform(0.5, 1.0) * min(self.max_delay, self.base_delay * 2 ** attempt)


def invoke_with_retries(transport: Transport, body: bytes, content_type: str, accept: str,
                        policy: RetryPolicy, stop: threading.Event, *, retry_model_faults: bool) -> bytes:
    """One request, retried on transient errors. ``ModelFault`` is retried only when asked (a single
    record: nothing smaller to try); ``PayloadTooLarge`` is never retried as is."""
    attempt = 0
    while True:
        if stop.is_set():
            raise Cancelled()
        try:
            return transport.invoke(body, content_type, accept)
        except (Retryable, ModelFault) as exc:
            if isinstance(exc, ModelFault) and not retry_model_faults:
                raise
            if attempt >= policy.max_retries or (isinstance(exc, ModelFault) and not exc.transient):
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                raise EndpointError(f"{transport.description} failed after {tries}; last error: "
                                    f"{exc}. (predictor.max_retries={policy.max_retries})") from None
            delay = policy.delay(attempt)
            log.info("Request to %s failed (%s); retry %d of %d in %.1f s", transport.description, exc,
                     attempt + 1, policy.max_retries, delay)
            attempt += 1
            if stop.wait(delay):
                raise Cancelled() from None
