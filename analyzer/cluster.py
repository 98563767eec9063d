"""Multi-host processing jobs: the leader (first host in resourceconfig.json) computes everything;
the other hosts wait for it to finish and then exit 0 without writing results.

Why followers wait instead of exiting at once: the SageMaker SDK's local mode runs the hosts with
``docker-compose up --abort-on-container-exit``, which stops every container as soon as one exits
and takes the job's exit code from that first one. A follower that exited immediately would get the
leader killed mid-job while the job still looked successful. So the leader keeps a TCP port open
while it works; followers connect to it and block until the connection closes (the leader's process
ended: success, failure or stop alike), then exit. A follower that cannot reach the leader within
a bounded time exits too, since the leader decides the job's outcome either way.
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
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, name="leader-port", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def follow(leader: str, port: int | None = None, connect_timeout: float | None = None) -> bool:
    """On a follower: block until the leader's job ends. True when it was reached and finished,
    False when it could not be reached within ``connect_timeout`` seconds."""
    port = leader_port() if port is None else port
    if connect_timeout is None:
        connect_timeout = float(os.environ.get(CONNECT_TIMEOUT_ENV) or DEFAULT_CONNECT_TIMEOUT_S)
    deadline = time.monotonic() + connect_timeout
    while True:
        try:
            conn = socket.create_connection((leader, port), timeout=5)
            break
        except OSError as exc:
            if time.monotonic() >= deadline:
                log.warning("Could not reach the leader %s on port %d within %.0f s (%s); exiting.",
                            leader, port, connect_timeout, exc)
                return False
            time.sleep(RETRY_INTERVAL_S)
    log.info("Waiting for the leader %s to finish.", leader)
    with conn:
        conn.settimeout(None)   # SIGTERM still interrupts: the CLI's handler raises in this thread
        while conn.recv(64):
            pass
    log.info("The leader %s has finished.", leader)
    return True
