"""Leader/follower coordination of multi-host jobs (analyzer.cluster), on 127.0.0.1 only."""
from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

from analyzer.cluster import FINISHED, LOST, UNREACHABLE, follow, leading
from analyzer.runtime import Runtime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runtime(tmp_path: Path, current: str, hosts: list[str]) -> Runtime:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "resourceconfig.json").write_text(json.dumps({"current_host": current, "hosts": hosts}))
    return Runtime(tmp_path)


def test_follower_waits_until_the_leader_is_done(tmp_path: Path) -> None:
    port = _free_port()
    results: list[str] = []
    with leading(_runtime(tmp_path, "algo-1", ["algo-1", "algo-2"]), port=port, address="127.0.0.1"):
        follower = threading.Thread(target=lambda: results.append(follow("127.0.0.1", port, connect_timeout=10)))
        follower.start()
        time.sleep(0.5)
        assert follower.is_alive()          # still waiting while the leader works
    follower.join(timeout=10)
    assert not follower.is_alive() and results == [FINISHED]


def test_follower_gives_up_when_the_leader_cannot_be_reached() -> None:
    began = time.monotonic()
    assert follow("127.0.0.1", _free_port(), connect_timeout=0.3) == UNREACHABLE
    assert time.monotonic() - began < 5


def test_single_host_and_follower_hosts_open_no_port(tmp_path: Path) -> None:
    port = _free_port()
    for current, hosts in (("algo-1", ["algo-1"]), ("algo-2", ["algo-1", "algo-2"])):
        with leading(_runtime(tmp_path, current, hosts), port=port, address="127.0.0.1"):
            assert follow("127.0.0.1", port, connect_timeout=0) == UNREACHABLE


def test_a_leader_that_dies_or_goes_silent_is_lost() -> None:
    """A connection closed without "done", or silent past the heartbeat timeout, is a lost leader."""
    for silent in (False, True):
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            results: list[str] = []
            follower = threading.Thread(target=lambda r=results, p=port: r.append(
                follow("127.0.0.1", p, connect_timeout=10, heartbeat_timeout=0.5)))
            follower.start()
            conn, _ = server.accept()
            conn.sendall(b"..")
            if not silent:
                conn.close()
            follower.join(timeout=10)
            conn.close()
        assert not follower.is_alive() and results == [LOST]
