#!/usr/bin/env python3
"""An "instant" model server for benchmarks: it answers /invocations with canned predictions,
one per request record, without reading the features (no model, no parsing), so that what a
benchmark measures on the client is the analyzer's own cost per predicted row.

    python bench/instant_server.py [--port 0]      # prints "listening on HOST:PORT"

Records are counted as non-blank lines (CSV and JSON Lines requests). The answer follows Accept:
``text/csv`` one score per line,
``application/jsonlines`` ``{"predicted_label":1,"score":0.73...}`` per line; ``label,score`` CSV lines
for ``/invocations?answer=label,score``. Scores are random
floats written with ``repr`` (17 significant digits), as a real model server writes them.
"""
from __future__ import annotations

import argparse
import random
import sys
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_rng = random.Random(0)
SCORES = [_rng.random() for _ in range(20_000)]


@lru_cache(maxsize=64)
def answer(kind: str, count: int) -> bytes:
    scores = (SCORES * (count // len(SCORES) + 1))[:count]
    if kind == "csv":
        lines = map(repr, scores)
    elif kind == "csv label,score":
        lines = (f"{int(s > 0.5)},{s!r}" for s in scores)
    else:
        lines = (f'{{"predicted_label":{int(s > 0.5)},"score":{s!r}}}' for s in scores)
    return ("\n".join(lines) + "\n").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        count = body.count(b"\n") + (not body.endswith(b"\n"))   # the last line may lack its newline
        accept = (self.headers.get("Accept") or "text/csv").split(";")[0].strip()
        kind = "jsonlines" if accept == "application/jsonlines" else \
            "csv label,score" if self.path.endswith("?answer=label,score") else "csv"
        data = answer(kind, count)
        self.send_response(200)
        self.send_header("Content-Type", accept)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
