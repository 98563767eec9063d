"""Any HTTP inference server: POST the batch to ``predictor.endpoint_url`` (extension key).

Works with SageMaker-style containers (/invocations), MLflow's scoring server, KServe-style or
home-grown servers; request and response shapes come from the templates and JMESPath keys.
"""
from __future__ import annotations

import http.client
import logging
import socket
import threading
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from analyzer.config import PredictorConfig
from analyzer.errors import ConfigError
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
    """POSTs with one keep-alive connection per worker thread."""

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
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self._timeout)
            with self._lock:
                if self._closed:  # a worker still running after the session ended opens nothing new
                    raise Retryable("the model session is closed")
                self._all.append(conn)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _expire(self, conn: http.client.HTTPConnection, expired: threading.Event) -> None:
        """The whole response took too long (a model trickling bytes resets every per-read timeout):
        cut the connection, which wakes the worker blocked on it."""
        expired.set()
        try:
            if conn.sock is not None:
                conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def invoke(self, body: bytes, content_type: str, accept: str) -> bytes:
        headers = {"Content-Type": content_type, "Accept": accept, **self._headers}
        conn = self._connection()
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
        except (TimeoutError, socket.timeout) as exc:
            self._drop()
            raise Retryable(f"no complete answer within {self._timeout:g} s "
                            "(predictor.request_timeout_seconds)") from exc
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            self._drop()
            if expired.is_set():
                raise Retryable(f"no complete answer within {self._timeout:g} s "
                                "(predictor.request_timeout_seconds)") from exc
            raise Retryable(f"connection failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
        finally:
            watchdog.cancel()
        if response.will_close:
            self._drop()
        if 200 <= response.status < 300:
            return data
        raise error_for_status(response.status, data.decode("utf-8", "replace"), self.url)

    def close(self) -> None:
        """Close every connection, also those of workers still waiting on a socket."""
        with self._lock:
            self._closed = True
            for conn in self._all:
                try:
                    if conn.sock is not None:  # wakes a thread blocked in recv()
                        conn.sock.shutdown(socket.SHUT_RDWR)
                    conn.close()
                except OSError:
                    pass
            self._all.clear()


@contextmanager
def http_endpoint(url: str, *, timeout: float, headers: dict[str, str] | None = None) -> Iterator[HttpTransport]:
    log.info("Using model server at %s", url)
    transport = HttpTransport(url, timeout=timeout, extra_headers=headers)
    try:
        yield transport
    finally:
        transport.close()
