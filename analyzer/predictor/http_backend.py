"""Any HTTP inference server: POST the batch to ``predictor.endpoint_url`` (extension key).

Works with SageMaker-style containers (/invocations), MLflow's scoring server, KServe-style or
home-grown servers; request and response shapes come from the templates and JMESPath keys.
"""
from __future__ import annotations

import http.client
import logging
import select
import socket
import threading
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from analyzer.config import PredictorConfig
from analyzer.errors import ConfigError, EndpointError
from analyzer.predictor.transport import Retryable, error_for_status

log = logging.getLogger("analyzer.predictor")

#: The headers SageMaker's runtime puts on /invocations for InvokeEndpoint's CustomAttributes and
#: TargetModel (the model-container contract), so a model server sees what an endpoint would.
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
TARGET_MODEL_HEADER = "X-Amzn-SageMaker-Target-Model"


def sagemaker_headers(predictor: PredictorConfig) -> dict[str, str]:
    """``predictor.custom_attributes`` / ``target_model`` as the HTTP headers SageMaker sends."""
    pairs = ((CUSTOM_ATTRIBUTES_HEADER, predictor.custom_attributes), (TARGET_MODEL_HEADER, predictor.target_model))
    return {name: value for name, value in pairs if value}


class HttpTransport:
    """POSTs over a small pool of keep-alive connections, shared by the worker threads.

    Connections belong to the transport, not to a thread: workers come and go with every
    ``predict()`` call, and a thread-local connection outlived its thread (one more open socket per
    worker and call until the session ended, and one left to the garbage collector when a worker
    reconnected after ``close()``). A connection is checked out for one request and checked back in
    (idle, reused) or closed; after ``close()`` nothing is reused or opened."""

    def __init__(self, url: str, *, timeout: float, extra_headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"predictor.endpoint_url: expected http(s)://host[:port]/path, got {url!r}.")
        self.url = url
        self.description = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._headers = dict(extra_headers or {})
        self._idle: list[http.client.HTTPConnection] = []
        self._busy: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()
        self._closed = False

    def _checkout(self) -> http.client.HTTPConnection:
        with self._lock:
            if self._closed:  # a worker still running after the session ended opens nothing new, and
                # does not retry for seconds what can no longer succeed (its job has ended)
                raise EndpointError(f"{self.description}: the model session is closed")
            conn = self._idle.pop() if self._idle else None
            if conn is not None and _dropped(conn):  # the server closed it while idle (keep-alive timeout)
                conn.close()
                conn = None
            if conn is None:
                cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
                conn = cls(self._host, self._port, timeout=self._timeout)
            self._busy.add(conn)
        return conn

    def _checkin(self, conn: http.client.HTTPConnection, reuse: bool) -> None:
        with self._lock:
            self._busy.discard(conn)
            if reuse and not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    def _expire(self, conn: http.client.HTTPConnection, expired: threading.Event) -> None:
        """The whole response took too long (a model trickling bytes resets every per-read timeout):
        cut the connection, which wakes the worker blocked on it."""
        expired.set()
        _wake(conn)

    def invoke(self, body: bytes, content_type: str, accept: str) -> bytes:
        headers = {"Content-Type": content_type, "Accept": accept, **self._headers}
        conn = self._checkout()
        reuse = False
        expired = threading.Event()
        watchdog = threading.Timer(self._timeout, self._expire, args=(conn, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("POST", self._path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if expired.is_set():
                raise TimeoutError("cut by the watchdog")
            reuse = not response.will_close
        except (TimeoutError, socket.timeout) as exc:
            raise Retryable(f"no complete answer within {self._timeout:g} s "
                            "(predictor.request_timeout_seconds)") from exc
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            if expired.is_set():
                raise Retryable(f"no complete answer within {self._timeout:g} s "
                                "(predictor.request_timeout_seconds)") from exc
            raise Retryable(f"connection failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
        finally:
            watchdog.cancel()
            self._checkin(conn, reuse)
        if 200 <= response.status < 300:
            return data
        raise error_for_status(response.status, data.decode("utf-8", "replace"), self.url)

    def close(self) -> None:
        """Close the idle connections and wake the workers still waiting on a busy one (each closes
        its own connection when its request ends)."""
        with self._lock:
            self._closed = True
            idle, busy = self._idle, list(self._busy)
            self._idle = []
        for conn in idle:
            conn.close()
        for conn in busy:
            _wake(conn)


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle connection that is readable has been closed by the server (or holds stray bytes):
    reusing it would fail the next request, and count as an attempt."""
    if conn.sock is None:
        return False  # closed by us: http.client opens a new socket on the next request
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(0))


def _wake(conn: http.client.HTTPConnection) -> None:
    """Shut the connection's socket down: a thread blocked in recv() on it returns at once."""
    try:
        if conn.sock is not None:
            conn.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


@contextmanager
def http_endpoint(url: str, *, timeout: float, headers: dict[str, str] | None = None) -> Iterator[HttpTransport]:
    log.info("Using model server at %s", url)
    transport = HttpTransport(url, timeout=timeout, extra_headers=headers)
    try:
        yield transport
    finally:
        transport.close()
