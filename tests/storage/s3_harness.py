"""Test harness for S3: moto's real HTTP server on 127.0.0.1, a fault-injecting proxy in front of
it, and an isolated AWS environment. Imported by tests/storage and tests/integration/test_s3_*.py.

Without moto the tests skip locally, but FAIL when CI=true (CI must exercise S3).
"""
from __future__ import annotations

import http.client
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from components import require_component

UPSTREAM_TIMEOUT_S = 30


def require_moto() -> Any:
    """moto.server.ThreadedMotoServer, or skip (locally) / fail (CI) with the reason."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        require_component(False, f"S3 tests need moto[server], which is not installed ({exc}); "
                                 "pip install 'moto[server]>=5'")
    return ThreadedMotoServer


class MotoServer:
    def __init__(self) -> None:
        server_class = require_moto()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
        self._server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()


@dataclass
class Fault:
    """Answer matching requests with an S3 error instead of forwarding them, ``times`` times
    (None: forever)."""

    method: str
    path_contains: str = ""
    status: int = 503
    code: str = "SlowDown"
    message: str = "Please reduce your request rate."
    times: int | None = 1
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (method == self.method and self.path_contains in path
                and (self.times is None or self.hits < self.times))


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that forwards to ``upstream`` except where a Fault matches."""

    def __init__(self, upstream: str) -> None:
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        host, port = upstream.removeprefix("http://").split(":")
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                length = next((v for n, v in headers if n.lower() == "content-length"), None)
                self.send_header("Content-Length", length if self.command == "HEAD" and length else str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                body = self._body()
                fault = proxy._take_fault(self.command, self.path)
                if fault is not None:
                    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{fault.code}</Code>'
                           f"<Message>{fault.message}</Message><RequestId>fault</RequestId></Error>").encode()
                    proxy._record(self.command, self.path, fault.status)
                    self._send(fault.status, [("Content-Type", "application/xml")], xml)
                    return
                conn = http.client.HTTPConnection(host, int(port), timeout=UPSTREAM_TIMEOUT_S)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "transfer-encoding"}
                    headers["Content-Length"] = str(len(body))
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    proxy._record(self.command, self.path, response.status)
                    self._send(response.status, response.getheaders(), data)
                finally:
                    conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.log.append((method, path, status))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def isolate_aws(monkeypatch: pytest.MonkeyPatch, endpoint: str, tmp_path: Path) -> None:
    """Dummy credentials, one region, boto3 pointed at ``endpoint``; no real AWS config can leak in."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ANALYZER_S3_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("ANALYZER_S3_CONNECT_TIMEOUT", "5")
    monkeypatch.setenv("ANALYZER_S3_READ_TIMEOUT", "20")


def admin_client(endpoint: str) -> Any:
    """A client straight to moto (never through a fault proxy) for test setup and checks."""
    import boto3

    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1").client("s3", endpoint_url=endpoint)


def new_bucket(client: Any) -> str:
    name = f"test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return name


def keys(client: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))


# Fixtures: import them by name into a conftest or test module to use them.

@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """An admin client to moto; the code under test sees moto through AWS_ENDPOINT_URL_S3."""
    isolate_aws(monkeypatch, moto_server.url, tmp_path)
    return admin_client(moto_server.url)


@pytest.fixture
def bucket(s3: Any) -> str:
    return new_bucket(s3)


@pytest.fixture
def proxy(moto_server: MotoServer, s3: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fault proxy in front of moto; the code under test goes through it."""
    fault_proxy = FaultProxy(moto_server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.url)
    yield fault_proxy
    fault_proxy.stop()
