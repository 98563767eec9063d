"""A model server that misbehaves on purpose, one behaviour per corpus case.

"ok" answers one score per CSV record (first feature / 100); every other behaviour breaks one
rule of the HTTP contract or of the answer's content.
"""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from corpus_base import SECRET_ATTRIBUTE


def _scores(body: bytes) -> list[float]:
    return [float(line.split(b",")[0]) / 100 for line in body.splitlines() if line.strip()]


def _lines(values: list[Any]) -> bytes:
    return "".join(f"{v}\n" for v in values).encode()


#: behaviour -> (status, body builder); special behaviours are handled in the handler.
BODIES = {
    "ok": (200, lambda b: _lines(_scores(b))),
    "nan": (200, lambda b: _lines(["nan"] * len(_scores(b)))),
    "inf": (200, lambda b: _lines(["inf"] * len(_scores(b)))),
    "one_nan": (200, lambda b: _lines(["nan"] + _scores(b)[1:])),
    "short": (200, lambda b: _lines(_scores(b)[:-1])),
    "long": (200, lambda b: _lines(_scores(b) + [0.5])),
    "empty": (200, lambda b: b""),
    "html": (200, lambda b: b"<html><body>It works!</body></html>\n"),
    "non_utf8": (200, lambda b: b"\xff\xfe\xfa" * len(_scores(b))),
    "words": (200, lambda b: _lines(["yes"] * len(_scores(b)))),
    "json_objects": (200, lambda b: _lines(['{"score": 0.5}'] * len(_scores(b)))),
    "deep": (200, lambda b: b"[" * 200_000 + b"]" * 200_000),
    "huge_number": (200, lambda b: _lines(["1e999999"] * len(_scores(b)))),
    "wide": (200, lambda b: _lines([",".join(["0.5"] * 5000)] * len(_scores(b)))),
    "ragged": (200, lambda b: _lines(["0.1,0.9" if i % 2 else "0.5" for i in range(len(_scores(b)))])),
    "echo_secret": (400, lambda b: f"bad request; Authorization: Bearer {SECRET_ATTRIBUTE}".encode()),
    "giant_error": (500, lambda b: b"E" * 2_000_000),
    "multiline_error": (500, lambda b: b"Traceback (most recent call last):\n  File x\nValueError: boom\n"),
}
for code in (400, 401, 403, 404, 405, 413, 415, 429, 500, 502, 503, 504):
    BODIES[f"status_{code}"] = (code, lambda b, code=code: f"injected {code}".encode())
BEHAVIOURS = (*BODIES, "hang", "trickle", "trickle_headers", "close", "redirect", "slow")


def fault_server(behaviour: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in {"Content-Type": "text/csv", "Content-Length": str(len(body)),
                               **(headers or {})}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                self._answer(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: what the slow behaviours are for

        def _answer(self, body: bytes) -> None:
            if behaviour == "hang":
                time.sleep(20)
                return
            if behaviour == "close":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if behaviour == "redirect":
                self._send(302, b"", {"Location": "http://127.0.0.1:9/elsewhere"})
                return
            if behaviour == "slow":
                time.sleep(0.3)
                self._send(200, _lines(_scores(body)))
                return
            if behaviour in ("trickle", "trickle_headers"):
                answer = _lines(_scores(body))
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: {len(answer)}\r\n"
                        "\r\n").encode()
                slow, fast = (head, b"") if behaviour == "trickle_headers" else (b"", head)
                self.wfile.write(fast)
                for i in range(len(slow + answer)):
                    self.wfile.write((slow + answer)[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.25)
                return
            status, build = BODIES[behaviour]
            self._send(status, build(body))

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (the analyzer stopping on a bad answer) resets its connection; the fault
    model must not print that as a traceback into the stderr the corpus checks for tracebacks."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serving(behaviour: str) -> Iterator[str]:
    server = fault_server(behaviour)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}/invocations"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
