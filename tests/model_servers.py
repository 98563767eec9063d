"""A small model served over HTTP for tests: ``POST /invocations`` answers with a function of the
request body, ``GET /ping`` with 200. One helper instead of a hand-written server per test module.

    with serving(lambda body, content_type: ("0.5\\n", "text/csv")) as url:
        ...  # url = http://127.0.0.1:PORT/invocations
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

#: (request body as text, request Content-Type) → (response body, response Content-Type or None).
Respond = Callable[[str, str], tuple[str, "str | None"]]


class _Handler(BaseHTTPRequestHandler):
    respond: Respond
    protocol_version = "HTTP/1.1"      # keep-alive, as real model servers answer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name; /ping
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        text, kind = type(self).respond(body, self.headers.get("Content-Type", ""))
        data = text.encode()
        self.send_response(200)
        if kind:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(respond: Respond) -> Iterator[str]:
    """Serve ``respond`` on a free local port; yield the invocations URL."""
    handler = type("Handler", (_Handler,), {"respond": staticmethod(respond)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/invocations"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
