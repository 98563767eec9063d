"""HttpTransport's connections: a pool owned by the transport, so that workers that come and go
with every predict() call neither pile up open sockets nor leave one to the garbage collector."""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from analyzer.errors import EndpointError
from analyzer.predictor.http_backend import HttpTransport
from analyzer.predictor.transport import Retryable


class Counting(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        self.mode = mode               # "ok", "drop_after_answer" (keep-alive promised, then closed) or "hang"
        self.connections = 0
        self.requests = 0
        self.hanging = threading.Event()
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Counting

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests += 1
        if self.server.mode == "hang":
            self.server.hanging.set()
            self.server.release.wait(10)
            return
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"0.5\n")
        if self.server.mode == "drop_after_answer":
            self.wfile.flush()
            self.close_connection = True   # no "Connection: close" header: the client learns it later


@contextmanager
def serving(mode: str) -> Iterator[tuple[Counting, str]]:
    server = Counting(mode)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/invocations"
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass  # listdir's own descriptor, closed by now
    return count


def test_workers_of_many_calls_share_a_few_connections() -> None:
    with serving("ok") as (server, url):
        transport = HttpTransport(url, timeout=5)
        for _ in range(10):  # ten predict() calls, each with fresh worker threads
            with ThreadPoolExecutor(max_workers=3) as pool:
                answers = list(pool.map(lambda _: transport.invoke(b"1\n", "text/csv", "text/csv"), range(6)))
            assert answers == [b"0.5\n"] * 6
        transport.close()
    assert server.requests == 60
    assert server.connections <= 3, server.connections


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """Reusing it would fail the next request and cost an attempt (max_retries 0: the job)."""
    with serving("drop_after_answer") as (server, url):
        transport = HttpTransport(url, timeout=5)
        for _ in range(3):
            time.sleep(0.05)  # the server's close reaches this side
            assert transport.invoke(b"1\n", "text/csv", "text/csv") == b"0.5\n"
        transport.close()
    assert server.connections == 3


def test_close_leaves_no_socket_open_even_with_a_worker_blocked_on_one() -> None:
    before = _open_sockets()
    with serving("hang") as (server, url):
        transport = HttpTransport(url, timeout=30)
        failed: list[BaseException] = []

        def worker() -> None:
            try:
                transport.invoke(b"1\n", "text/csv", "text/csv")
            except Retryable as exc:
                failed.append(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        assert server.hanging.wait(5)
        transport.close()          # the session ends while the request waits for an answer
        thread.join(timeout=5)
        assert not thread.is_alive() and len(failed) == 1
        with pytest.raises(EndpointError, match="session is closed"):  # nothing new opened, nor retried
            transport.invoke(b"1\n", "text/csv", "text/csv")
        server.release.set()
    assert _open_sockets() == before
