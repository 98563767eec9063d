"""Multi-host processing jobs: the leader (first host in resourceconfig.json) runs the job; the other
hosts lend it their Dask workers (:mod:`analyzer.distributed`) until it finishes, then exit 0
without writing results.

Why followers wait instead of exiting at once: the SageMaker SDK's local mode runs the hosts with
``docker-compose up --abort-on-container-exit``, which stops every container as soon as one exits
and takes the job's exit code from that first one. A follower that exited immediately would get the
leader killed mid-job while the job still looked successful. So the leader keeps a TCP port open
while it works; followers connect to it and block until the connection closes (the leader's process
ended: success, failure or stop alike), then exit. A follower that cannot reach the leader within
a bounded time exits too, since the leader decides the job's outcome either way.

While it works the leader sends a heartbeat byte every few seconds, and ``done`` when its job has
ended (whatever the outcome: the leader reports it). A connection that closes without ``done``, or
stays silent past the heartbeat timeout (a killed leader host may never close it), means the leader
died: the follower fails instead of reporting success.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from analyzer.runtime import Runtime

log = logging.getLogger("sagemaker-clarify-processing")

PORT_ENV = "ANALYZER_LEADER_PORT"
DEFAULT_PORT = 7070
CONNECT_TIMEOUT_ENV = "ANALYZER_LEADER_CONNECT_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT_S = 300.0     # hosts start at different times; host names may resolve late
RETRY_INTERVAL_S = 1.0
HEARTBEAT_S = 2.0
HEARTBEAT_TIMEOUT_ENV = "ANALYZER_LEADER_HEARTBEAT_TIMEOUT"
DEFAULT_HEARTBEAT_TIMEOUT_S = 30.0
DONE = b"done"
#: What :func:`follow` saw: the leader's job ended, the leader was never reached, or it died.
FINISHED, UNREACHABLE, LOST = "finished", "unreachable", "lost"


def leader_port() -> int:
    return int(os.environ.get(PORT_ENV) or DEFAULT_PORT)


@contextmanager
def leading(runtime: "Runtime", port: int | None = None, address: str = "") -> Iterator[None]:
    """On the leader of a multi-host job: hold followers' connections open until the block ends.

    Single-host jobs and followers open nothing. A port that cannot be bound is logged and the job
    goes on: followers then give up after their connect timeout. ``address`` "" listens on every
    interface of the container, where the other hosts reach it by name.
    """
    host, hosts = runtime.cluster()
    if len(hosts) < 2 or host != hosts[0]:
        yield
        return
    port = leader_port() if port is None else port
    try:
        server = socket.create_server((address, port))
    except OSError as exc:
        log.warning("Cannot open the leader port %d for the other hosts (%s); they will stop waiting "
                    "after their timeout.", port, exc)
        yield
        return
    server.settimeout(0.5)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        beat = time.monotonic()
        while not done.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                pass
            if time.monotonic() - beat >= HEARTBEAT_S:
                beat = time.monotonic()
                _send(held, b".")

    thread = threading.Thread(target=accept, name="leader-port", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=2)
        _send(held, DONE)
        for conn in held:
            conn.close()
        server.close()


def _send(conns: list[socket.socket], data: bytes) -> None:
    for conn in conns:
        try:
            conn.sendall(data)
        except OSError:
            pass    # that follower is gone; nothing to tell it


def follow(leader: str, port: int | None = None, connect_timeout: float | None = None,
           heartbeat_timeout: float | None = None) -> str:
    """On a follower: block until the leader's job ends. :data:`FINISHED` when the leader said so,
    :data:`UNREACHABLE` when it could not be reached within ``connect_timeout`` seconds, :data:`LOST`
    when it went away without finishing (closed, or silent for ``heartbeat_timeout`` seconds)."""
    port = leader_port() if port is None else port
    if connect_timeout is None:
        connect_timeout = float(os.environ.get(CONNECT_TIMEOUT_ENV) or DEFAULT_CONNECT_TIMEOUT_S)
    if heartbeat_timeout is None:
        heartbeat_timeout = float(os.environ.get(HEARTBEAT_TIMEOUT_ENV) or DEFAULT_HEARTBEAT_TIMEOUT_S)
    deadline = time.monotonic() + connect_timeout
    while True:
        try:
            conn = socket.create_connection((leader, port), timeout=5)
            break
        except OSError as exc:
            if time.monotonic() >= deadline:
                log.warning("Could not reach the leader %s on port %d within %.0f s (%s); exiting.",
                            leader, port, connect_timeout, exc)
                return UNREACHABLE
            time.sleep(RETRY_INTERVAL_S)
    log.info("Waiting for the leader %s to finish.", leader)
    received = b""
    with conn:
        conn.settimeout(heartbeat_timeout)   # SIGTERM still interrupts: the CLI's handler raises in this thread
        while True:
            try:
                chunk = conn.recv(64)
            except OSError:   # silent past the timeout, or reset
                chunk = b""
            received = (received + chunk)[-len(DONE):]
            if received == DONE:
                log.info("The leader %s has finished.", leader)
                return FINISHED
            if not chunk:
                log.warning("The leader %s went away before its job finished.", leader)
                return LOST
